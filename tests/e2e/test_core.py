"""The real bot against the emulator: sync, /help, failures, mentions, gateway drops."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.sandbox.session import Sandbox
from emulator.interactions import UsageError


async def test_commands_sync_without_violations(sandbox: Sandbox) -> None:
    names = {(c["name"], c["type"]) for c in sandbox.emulator.world.guild_commands}
    assert {("help", 1), ("learn", 1), ("topics", 1), ("Answer with Nexus", 3)} <= names
    assert sandbox.emulator.sync_rejections == []
    assert sandbox.emulator.world.global_commands == []  # synced to the configured guild


async def test_help_answers_within_deadline_and_lists_learner_commands(sandbox: Sandbox) -> None:
    record = await sandbox.emulator.slash(sandbox.cast.learner, "help")
    message = await record.wait_message()
    assert record.ack_seconds is not None and record.ack_seconds < 3
    assert message.ephemeral
    text = message.embeds[0]["description"]
    assert "/learn" in text and "/topics" in text and "**Answer with Nexus**" in text
    assert "/content gaps" not in text


async def test_help_shows_moderator_footer_only_to_moderators(sandbox: Sandbox) -> None:
    learner = await sandbox.emulator.run(sandbox.cast.learner, "help")
    moderator = await sandbox.emulator.run(sandbox.cast.moderator, "help")
    assert "footer" not in learner.embeds[0]
    assert "moderator" in moderator.embeds[0]["footer"]["text"]


async def test_unexpected_error_gets_friendly_ephemeral_reply_with_error_id(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        message = await sandbox.emulator.run(sandbox.cast.learner, "boom")
    assert message.ephemeral
    assert "error id" in message.content
    error_id = message.content.split("`")[1]
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the log


async def test_a_reply_refused_as_too_late_costs_one_log_line_and_no_second_send(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("emulator.interactions.ACK_DEADLINE_SECONDS", 0.1)
    with caplog.at_level(logging.INFO):
        record = await sandbox.emulator.slash(sandbox.cast.learner, "late")
        for _ in range(100):  # until the bot has tried, and given up
            if any("answered too late" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.02)
    assert record.rejected == ["acknowledged after the 3-second deadline"]  # one send only
    late = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in late] == ["/late answered too late: Discord no longer knows it"]
    assert late[0].exc_info is None  # one line, no traceback


async def test_error_after_defer_still_reaches_the_user(sandbox: Sandbox) -> None:
    record = await sandbox.emulator.slash(sandbox.cast.learner, "slowboom")
    await record.wait_ack()
    message = await record.wait_message()
    assert "error id" in message.content and message.ephemeral


async def test_user_error_is_shown_escaped_and_cannot_ping(sandbox: Sandbox) -> None:
    message = await sandbox.emulator.run(sandbox.cast.learner, "refuse", text="@everyone now")
    assert message.ephemeral and "cannot do that" in message.content
    assert not message.mention_everyone and message.mention_role_ids == []


async def test_a_long_user_error_still_reaches_the_user(sandbox: Sandbox) -> None:
    record = await sandbox.emulator.slash(sandbox.cast.learner, "refuse", text="a" * 6000)
    message = await record.wait_message()
    assert record.rejected == []
    assert message.ephemeral and message.content.startswith("cannot do that")
    assert len(message.content) <= 2000


async def test_no_message_can_ping_everyone_or_roles(sandbox: Sandbox) -> None:
    role = sandbox.cast.moderator_role
    channel = sandbox.bot.get_channel(sandbox.cast.announce.id)
    sent = await channel.send(f"@everyone @here <@&{role.id}> hello")  # type: ignore[union-attr]
    stored = sandbox.emulator.world.messages[sent.id]
    assert not stored.mention_everyone
    assert stored.mention_role_ids == []


async def test_interactions_keep_working_after_a_gateway_drop(sandbox: Sandbox) -> None:
    await sandbox.emulator.drop_gateway()
    message = await sandbox.emulator.run(sandbox.cast.learner, "help")
    assert message.embeds


async def test_rate_limited_callback_is_retried(sandbox: Sandbox) -> None:
    sandbox.emulator.faults.add("POST", r"/interactions/\d+/.+/callback", 429, retry_after=0.2)
    record = await sandbox.emulator.slash(sandbox.cast.learner, "help")
    message = await record.wait_message()
    assert message.embeds
    assert any(status == 429 for *_, status in sandbox.emulator.request_log)


async def test_unknown_command_is_refused_like_discord(sandbox: Sandbox) -> None:
    with pytest.raises(UsageError):
        await sandbox.emulator.slash(sandbox.cast.learner, "nonexistent")
