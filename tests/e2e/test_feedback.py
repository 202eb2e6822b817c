"""Votes on answers and the gap inbox they feed, through the emulator."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.config import Settings
from bot.feedback.service import PICK_WINDOW
from bot.sandbox.cast import build_cast
from bot.sandbox.session import Sandbox, running_sandbox
from emulator.server import find_component
from tests.helpers import step

HELPFUL, NOT_HELPFUL = "👍 Helpful", "👎 Not helpful"


async def inbox(sandbox: Sandbox) -> dict[str, tuple[int, int, int]]:
    """The gap inbox: question -> (count, helpful, not helpful)."""
    page = await sandbox.bot.feedback.gaps()
    return {g.question: (g.count, g.helpful, g.not_helpful) for g in page.items}


async def test_every_answer_carries_votes_one_per_member_acknowledged_privately(
    sandbox: Sandbox,
) -> None:
    ada, linus = sandbox.cast.learner, sandbox.cast.learner2
    emulator = sandbox.emulator
    answer = await emulator.run(ada, "learn", query="how do i ship my app", public=True)
    assert find_component(answer, HELPFUL) and find_component(answer, NOT_HELPFUL)

    first = await (await emulator.click(ada, answer, NOT_HELPFUL)).wait_message()
    assert first.ephemeral and "Moderators will see" in first.content
    assert await inbox(sandbox) == {"how do i ship my app": (1, 0, 1)}
    again = await (await emulator.click(ada, answer, NOT_HELPFUL)).wait_message()
    assert "already" in again.content
    await (await emulator.click(linus, answer, HELPFUL)).wait_message()
    changed = await (await emulator.click(ada, answer, HELPFUL)).wait_message()
    assert changed.ephemeral and "Changed your vote" in changed.content
    assert await inbox(sandbox) == {}  # two helpful votes, nobody unhelpful: no gap


async def test_entries_opened_from_buttons_carry_votes_too(sandbox: Sandbox) -> None:
    ada, emulator = sandbox.cast.learner, sandbox.emulator
    answer = await emulator.run(ada, "learn", query="docker")
    more = await (await emulator.click(ada, answer, "Read more")).wait_message()
    voted = await (await emulator.click(ada, more, HELPFUL)).wait_message()
    assert voted.ephemeral and "helpful" in voted.content


async def test_a_vote_on_an_answer_given_before_a_restart_counts(settings: Settings) -> None:
    cast = build_cast()
    async with running_sandbox(settings, cast, guild_ready_timeout=0.05) as sandbox:
        answer = await sandbox.emulator.run(cast.learner, "learn", query="celery beat")
    async with running_sandbox(settings, cast, guild_ready_timeout=0.05) as sandbox:
        voted = await (
            await sandbox.emulator.click(cast.learner, answer, NOT_HELPFUL)
        ).wait_message()
        assert "Moderators will see" in voted.content
        assert await inbox(sandbox) == {"celery beat": (1, 0, 1)}


async def test_nothing_found_is_a_gap_without_who_asked(sandbox: Sandbox) -> None:
    ada = sandbox.cast.learner
    await sandbox.emulator.run(ada, "learn", query="How do I center a DIV?")
    assert await inbox(sandbox) == {"how do i center a div": (1, 0, 0)}


async def test_closest_matches_are_a_gap_only_when_none_is_opened(sandbox: Sandbox) -> None:
    ada, emulator = sandbox.cast.learner, sandbox.emulator
    assert not sandbox.bot.knowledge.search("my server").hits  # closest matches only
    picked = await emulator.run(ada, "learn", query="my server")
    await emulator.run(ada, "learn", query="my   server!")  # the same question, never opened
    first = picked.components[0]["components"][0]
    opened = await (await emulator.click(ada, picked, first["custom_id"])).wait_message()
    assert opened.embeds[0]["title"] == first["label"] and find_component(opened, HELPFUL)
    await step([sandbox.bot], PICK_WINDOW)  # the settle job runs every 5 minutes
    assert await inbox(sandbox) == {}
    await step([sandbox.bot], timedelta(minutes=5))
    assert await inbox(sandbox) == {"my server": (1, 0, 0)}


async def test_content_stats_shows_use_votes_and_a_weekly_chart(sandbox: Sandbox) -> None:
    ada, grace, emulator = sandbox.cast.learner, sandbox.cast.moderator, sandbox.emulator
    answer = await emulator.run(ada, "learn", query="docker")
    await (await emulator.click(ada, answer, HELPFUL)).wait_message()
    await emulator.run(ada, "learn", query="banana spaceship")

    overall = await emulator.run(grace, "content stats")
    assert overall.ephemeral
    text = overall.embeds[0]["description"]
    assert "**Questions asked:** 2" in text and "50%" in text and "Docker: 1" in text
    assert overall.embeds[0]["image"]["url"] == "attachment://knowledge-stats.png"
    assert overall.files["knowledge-stats.png"].startswith(b"\x89PNG")

    one = await emulator.run(grace, "content stats", entry="docker")
    assert "**Opened:** 1 times" in one.embeds[0]["description"]
    assert "👍 1 · 👎 0" in one.embeds[0]["description"]
    refused = await (
        await emulator.slash(ada, "content stats", bypass_permissions=True)
    ).wait_message()
    assert "Only moderators" in refused.content


async def test_a_locked_database_delays_no_answer_and_loses_no_vote(
    sandbox: Sandbox, settings: Settings
) -> None:
    """Another writer holds SQLite's lock for 2 s: /learn and a vote are still acknowledged
    inside Discord's 3 seconds, and both are recorded once the lock is released."""
    ada, emulator = sandbox.cast.learner, sandbox.emulator
    path = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))
    locker = sqlite3.connect(path, timeout=1)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        record = await emulator.slash(ada, "learn", query="how do i ship my app")
        answer = await record.wait_message()
        assert record.ack_seconds is not None and record.ack_seconds < 3
        vote = await emulator.click(ada, answer, NOT_HELPFUL)
        await vote.wait_ack()
        assert vote.ack_seconds is not None and vote.ack_seconds < 3
        await asyncio.sleep(1.0)
    finally:
        locker.rollback()
        locker.close()
    assert "Moderators will see" in (await vote.wait_message()).content
    assert await inbox(sandbox) == {"how do i ship my app": (1, 0, 1)}
