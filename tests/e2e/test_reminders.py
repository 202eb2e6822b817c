"""Milestones and reminders through the emulator, including a real kill -9 mid-delivery."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlmodel import select

from bot.config import Settings
from bot.db import Database
from bot.db.models import Delivery, MilestoneRow, ReminderRow
from bot.reminders.events import SYNC_SECONDS
from bot.reminders.service import ReminderService
from bot.sandbox.cast import build_cast
from bot.sandbox.session import Sandbox, running_emulator, running_sandbox
from emulator.interactions import UsageError
from emulator.server import find_component
from emulator.world import Message
from tests.helpers import A_SWEEP, Clock, bot_posts, step

ROOT = Path(__file__).resolve().parents[2]


def in_channel(sandbox: Sandbox, channel_id: int) -> list[str]:
    """What the bot posted on its own (not replies to commands) in a channel."""
    return [
        m.content
        for m in sandbox.emulator.world.channel_messages(channel_id)
        if m.interaction_id is None
    ]


def posts_of(sandbox: Sandbox, name: str) -> int:
    """How many of the bot's own posts in the announcements channel name `name`."""
    return bot_posts(sandbox.emulator, sandbox.cast.announce.id, name)


async def test_moderator_adds_a_milestone_and_the_reminder_posts_on_time(
    sandbox: Sandbox, clock: Clock
) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    due = clock.now.replace(microsecond=0) + timedelta(seconds=2)
    reply = await emulator.run(
        cast.moderator,
        "milestone add",
        name="Demo day",
        due=due.isoformat(),
        offsets="0m",
        description="Show your API @everyone",
    )
    assert reply.ephemeral and "Added" in reply.content
    await step(sandbox.bots, due - clock.now - timedelta(milliseconds=1))
    assert posts_of(sandbox, "Demo day") == 0  # not a moment early (how late: bench/reminders)
    await step(sandbox.bots, timedelta(milliseconds=1))
    posted = await emulator.wait_for_message(
        lambda m: m.interaction_id is None and "Demo day" in m.content, timeout=0
    )
    assert posted.channel_id == cast.announce.id
    assert f"<t:{int(due.timestamp())}:F>" in posted.content
    assert not posted.mention_everyone
    await step(sandbox.bots, A_SWEEP)
    assert posts_of(sandbox, "Demo day") == 1


async def test_invalid_input_gets_an_exact_ephemeral_explanation(sandbox: Sandbox) -> None:
    emulator, moderator = sandbox.emulator, sandbox.cast.moderator
    bad_due = await emulator.run(moderator, "milestone add", name="X", due="next friday")
    assert bad_due.ephemeral and "2026-11-30T17:00:00Z" in bad_due.content
    bad_offsets = await emulator.run(
        moderator, "milestone add", name="X", due="2030-01-01T10:00:00Z", offsets="7 days"
    )
    assert bad_offsets.ephemeral and "7d,3d,1d,2h,0m" in bad_offsets.content
    bad_zone = await emulator.run(
        moderator, "milestone add", name="X", due="2030-01-01 10:00 Mars/Olympus"
    )
    assert "Mars/Olympus" in bad_zone.content and "error id" not in bad_zone.content


async def test_milestone_add_reads_what_moderators_type(sandbox: Sandbox) -> None:
    """Cities and abbreviations as zones, impossible and absurd dates explained (never an
    error id), a past due time refused unless it is meant, and the removal names its
    milestone."""
    emulator, moderator = sandbox.emulator, sandbox.cast.moderator
    wat = await emulator.run(moderator, "milestone add", name="Demo", due="2030-01-01 10:00 WAT")
    lagos_ten = int(datetime(2030, 1, 1, 9, tzinfo=UTC).timestamp())
    assert f"<t:{lagos_ten}:F>" in wat.content
    for due, expected in (
        ("2030-02-30 10:00 Lagos", "not a real date"),
        ("0001-01-01T00:00:00Z", "between 2000 and 2100"),
        ("9999-12-31T23:59:00Z", "between 2000 and 2100"),
        ("2020-01-01T10:00:00Z", "in the past"),
    ):
        reply = await emulator.run(moderator, "milestone add", name="X", due=due)
        assert reply.ephemeral and expected in reply.content, (due, reply.content)
        assert "error id" not in reply.content
    assert [m.name for m in await sandbox.bot.reminders.all_milestones()] == ["Demo"]
    recorded = await emulator.run(
        moderator, "milestone add", name="Kick-off", due="2020-01-01T10:00:00Z", past=True
    )
    assert "Added" in recorded.content and "(0 still to come)" in recorded.content
    removed = await emulator.run(moderator, "milestone remove", name="kick-OFF")
    assert "Removed **Kick-off**" in removed.content


async def test_learners_cannot_manage_milestones_even_when_exposed(sandbox: Sandbox) -> None:
    emulator, learner = sandbox.emulator, sandbox.cast.learner
    with pytest.raises(UsageError, match="hidden"):
        await emulator.slash(learner, "milestone list")
    record = await emulator.slash(
        learner, "milestone add", bypass_permissions=True, name="Sneaky", due="2030-01-01T10:00:00Z"
    )
    refusal = await record.wait_message()
    assert refusal.ephemeral and "Only moderators" in refusal.content
    assert await sandbox.bot.reminders.all_milestones() == []


async def test_deadlines_show_discord_timestamps(sandbox: Sandbox) -> None:
    due = datetime(2030, 1, 1, 10, tzinfo=UTC)
    await sandbox.bot.reminders.save_milestone("Final demo", due, (86400,))
    message = await sandbox.emulator.run(sandbox.cast.learner, "deadlines")
    text = message.embeds[0]["description"]
    assert "Final demo" in text and f"<t:{int(due.timestamp())}:F>" in text
    assert f"<t:{int(due.timestamp())}:R>" in text


async def test_remove_cancels_pending_reminders(sandbox: Sandbox, clock: Clock) -> None:
    emulator, moderator = sandbox.emulator, sandbox.cast.moderator
    await emulator.run(
        moderator,
        "milestone add",
        name="Soon",
        offsets="0m",
        due=(clock.now + timedelta(seconds=2)).isoformat(),
    )
    choices = await emulator.autocomplete(moderator, "milestone remove", "name", name="so")
    assert [c["value"] for c in choices] == ["Soon"]
    reply = await emulator.run(moderator, "milestone remove", name="Soon")
    assert "Removed" in reply.content
    await step(sandbox.bots, A_SWEEP)  # past its due time, and a sweep
    assert posts_of(sandbox, "Soon") == 0
    listing = await emulator.run(moderator, "milestone list")
    assert "No milestones" in listing.embeds[0]["description"]


async def test_cohort_preview_then_confirm_creates_the_timeline(sandbox: Sandbox) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    preview = await emulator.run(cast.moderator, "milestone cohort start", start="2027-01-04")
    assert "Project Nexus submission deadline" in preview.embeds[0]["description"]
    assert await sandbox.bot.reminders.all_milestones() == []  # nothing saved yet
    refused = await (
        await emulator.click(cast.learner, preview, "Create these milestones")
    ).wait_message()
    assert "Only moderators" in refused.content
    assert await sandbox.bot.reminders.all_milestones() == []
    done = await (
        await emulator.click(cast.moderator, preview, "Create these milestones")
    ).wait_message()
    assert "Created 7 milestones" in done.content
    names = [m.name for m in await sandbox.bot.reminders.all_milestones()]
    assert "Project Nexus submission deadline [2027-01-04]" in names
    again = await (
        await emulator.click(cast.moderator, preview, "Create these milestones")
    ).wait_message()
    assert "Created 7" in again.content
    assert len(await sandbox.bot.reminders.all_milestones()) == 7  # no duplicates
    assert find_component(preview, "Create these milestones") is not None


async def test_double_click_and_concurrent_adds_never_double_milestones(sandbox: Sandbox) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    preview = await emulator.run(cast.moderator, "milestone cohort start", start="2027-01-04")
    clicks = await asyncio.gather(
        *(emulator.click(cast.moderator, preview, "Create these milestones") for _ in range(3))
    )
    await asyncio.gather(*(click.wait_message() for click in clicks))
    assert len(await sandbox.bot.reminders.all_milestones()) == 7
    adds = await asyncio.gather(
        *(
            emulator.slash(cast.moderator, "milestone add", name=name, due="2027-03-01T17:00:00Z")
            for name in ("Retro", "retro", "RETRO ")
        )
    )
    await asyncio.gather(*(add.wait_message() for add in adds))
    retros = [m for m in await sandbox.bot.reminders.all_milestones() if m.name.lower() == "retro"]
    assert len(retros) == 1


async def test_subscribers_get_dm_copies_and_closed_dms_unsubscribe(
    sandbox: Sandbox, clock: Clock
) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    assert "DM copy" in (await emulator.run(cast.learner, "reminders subscribe")).content
    assert "already" in (await emulator.run(cast.learner, "reminders subscribe")).content
    await emulator.run(cast.learner2, "reminders subscribe")
    emulator.closed_dm_user_ids.add(cast.learner2.id)
    await sandbox.bot.reminders.save_milestone("Standup", clock.now + timedelta(seconds=1), (0,))
    await step(sandbox.bots, timedelta(seconds=1))  # the post, its DM copies, the closed DMs
    dm = emulator.world.dm_channel(cast.learner)
    await emulator.wait_for_message(lambda m: m.channel_id == dm.id, timeout=0)
    assert (
        "weren't subscribed" in (await emulator.run(cast.learner2, "reminders unsubscribe")).content
    )
    assert "No more" in (await emulator.run(cast.learner, "reminders unsubscribe")).content


async def test_rate_limited_post_is_retried_and_posted_once(sandbox: Sandbox, clock: Clock) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    emulator.faults.add("POST", rf"/channels/{cast.announce.id}/messages$", 429, retry_after=0.3)
    emulator.faults.add("POST", rf"/channels/{cast.announce.id}/messages$", 500)
    await sandbox.bot.reminders.save_milestone("Retry me", clock.now + timedelta(seconds=1), (0,))
    await step(sandbox.bots, timedelta(seconds=1))  # discord.py waits out the 429 and the 500
    assert posts_of(sandbox, "Retry me") == 1
    await step(sandbox.bots, A_SWEEP)
    assert posts_of(sandbox, "Retry me") == 1
    assert [s for *_, s in emulator.request_log if s in (429, 500)] == [429, 500]


@pytest.mark.parametrize("moment", ["before", "after", "after, then a busy channel"])
async def test_kill_9_during_delivery_never_loses_or_doubles(
    settings: Settings, moment: str
) -> None:
    cast = build_cast()
    database = Database(settings.database_url)
    service = ReminderService(
        database, channel_id=cast.announce.id, grace=timedelta(hours=6), default_offsets=(0,)
    )
    await service.save_milestone("Crash test", datetime.now(UTC), (0,))
    await database.dispose()

    async with running_emulator(cast) as emulator:  # the bot is the worker process
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.crash_worker",
            emulator.api_base,
            emulator.token,
            settings.database_url,
            str(cast.announce.id),
            moment.split(",")[0],
            env=env,
            cwd=ROOT,
            stderr=subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(worker.communicate(), 60)
        assert worker.returncode == -9, stderr.decode()
    posted = cast.world.channel_messages(cast.announce.id)
    assert len(posted) == (0 if moment == "before" else 1)
    if "busy" in moment:  # 250 messages by members bury the post before the bot restarts,
        posted[0].created_monotonic -= 3600  # an hour later: Discord forgot the nonce
        for number in range(250):
            chat = Message(cast.world.snowflake(), cast.announce.id, cast.learner, f"msg {number}")
            cast.world.messages[chat.id] = chat

    async with running_sandbox(settings, cast, guild_ready_timeout=0.05) as sandbox:
        await sandbox.emulator.wait_for_message(
            lambda m: m.channel_id == cast.announce.id and "Crash test" in m.content
        )
        async with sandbox.bot.database.session() as session:
            row = (await session.exec(select(ReminderRow))).one()
            assert (await session.exec(select(MilestoneRow))).one().name == "Crash test"
        assert row.status == Delivery.SENT
        messages = cast.world.channel_messages(cast.announce.id)
        assert len([m for m in messages if "Crash test" in m.content]) == 1


async def test_reminders_keep_working_after_the_extensions_reload(
    sandbox: Sandbox, clock: Clock
) -> None:
    """What a cog starts it stops: reloading the extensions restarts the schedulers cleanly."""
    await sandbox.bot.reload_extension("cogs.reminders")
    await sandbox.bot.reload_extension("cogs.pairing")
    assert sandbox.bot.reminders.running and sandbox.bot.pairing.running
    await sandbox.bot.reminders.save_milestone(
        "After reload", clock.now + timedelta(seconds=1), (0,)
    )
    await step(sandbox.bots, timedelta(seconds=1))
    assert posts_of(sandbox, "After reload") == 1
    await step(sandbox.bots, A_SWEEP)
    assert posts_of(sandbox, "After reload") == 1


async def test_deadlines_add_to_calendar_sends_a_private_ics(sandbox: Sandbox) -> None:
    """The button on /deadlines answers with the milestones as a calendar file that a
    calendar app can read, to the member alone."""
    emulator, learner = sandbox.emulator, sandbox.cast.learner
    due = datetime(2030, 1, 1, 10, tzinfo=UTC)
    await sandbox.bot.reminders.save_milestone("Final demo", due, (86400, 0))
    deadlines = await emulator.run(learner, "deadlines")
    reply = await (await emulator.click(learner, deadlines, "Add to calendar")).wait_message()
    assert reply.ephemeral and "calendar" in reply.content
    (event,) = Calendar.from_ical(reply.files["prodev-deadlines.ics"]).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Final demo" and event.decoded("DTSTART") == due
    assert len(event.walk("VALARM")) == 2


async def test_dm_copies_carry_done_and_snooze(sandbox: Sandbox, clock: Clock) -> None:
    """Done stops the member's DM copies and shows in their /deadlines; Snooze promises one
    more copy a day later; both answer in the DM, privately."""
    emulator, cast = sandbox.emulator, sandbox.cast
    await emulator.run(cast.learner, "reminders subscribe")
    due = clock.now + timedelta(days=2)
    await sandbox.bot.reminders.save_milestone("Project demo", due, (2 * 86400 - 1,))
    await step(sandbox.bots, timedelta(seconds=1))  # the reminder is due a second from now
    dm = emulator.world.dm_channel(cast.learner)
    copy = await emulator.wait_for_message(lambda m: m.channel_id == dm.id, timeout=0)
    snoozed = await (await emulator.click(cast.learner, copy, "Snooze 1 day")).wait_message()
    assert snoozed.ephemeral and "again <t:" in snoozed.content
    done = await (await emulator.click(cast.learner, copy, "Done")).wait_message()
    assert done.ephemeral and "Marked **Project demo** done" in done.content
    deadlines = await emulator.run(cast.learner, "deadlines")
    assert "Project demo" in deadlines.embeds[0]["description"]
    assert "✅ done" in deadlines.embeds[0]["description"]
    others = await emulator.run(cast.learner2, "deadlines")
    assert "✅ done" not in others.embeds[0]["description"]
    again = await (await emulator.click(cast.learner, copy, "Snooze 1 day")).wait_message()
    assert "nothing to snooze" in again.content and "error id" not in again.content


async def test_milestones_are_discord_events_in_step(sandbox: Sandbox) -> None:
    """A moderator's milestone shows in the Events tab at once; editing moves it, removing
    deletes it; without Manage Events the mod-log hears it once and reminders carry on."""
    emulator, moderator, cast = sandbox.emulator, sandbox.cast.moderator, sandbox.cast
    events = emulator.scheduled_events

    def starts() -> list[str]:
        return [str(e["scheduled_start_time"])[:19] for e in events.values()]

    await emulator.run(moderator, "milestone add", name="Demo day", due="2030-01-01 10:00 WAT")
    await step(sandbox.bots)  # the sync each change asks for "now"
    assert starts() == ["2030-01-01T09:00:00"]
    (event,) = events.values()
    assert event["name"] == "Demo day" and event["entity_type"] == 3
    await emulator.run(moderator, "milestone add", name="demo day", due="2030-01-02 10:00 WAT")
    await step(sandbox.bots)
    assert starts() == ["2030-01-02T09:00:00"]
    await emulator.run(moderator, "milestone remove", name="Demo day")
    await step(sandbox.bots)
    assert not events
    emulator.can_manage_events = False
    await emulator.run(moderator, "milestone add", name="Kick-off", due="2030-02-01T10:00:00Z")
    await emulator.run(moderator, "milestone add", name="Review", due="2030-02-08T10:00:00Z")
    await step(sandbox.bots, timedelta(seconds=SYNC_SECONDS))  # and a periodic sync after
    told = sum("Manage Events" in text for text in in_channel(sandbox, cast.modlog.id))
    assert told == 1 and not events
    assert len(await sandbox.bot.reminders.upcoming()) == 2


async def test_a_retry_that_cannot_read_the_channel_history_tells_the_moderators(
    sandbox: Sandbox, clock: Clock
) -> None:
    """A try after a failure looks for the post in the channel first; without Read Message
    History that is a permission for the moderators to fix, not a silent retry."""
    emulator, cast = sandbox.emulator, sandbox.cast
    announce = cast.announce.id
    emulator.faults.add("POST", rf"/channels/{announce}/messages$", 403)
    emulator.faults.add("GET", rf"/channels/{announce}/messages$", 403)
    await sandbox.bot.reminders.save_milestone("Hidden", clock.now + timedelta(seconds=1), (0,))
    await step(sandbox.bots, timedelta(seconds=1))  # the post is refused: moderators told
    await step(sandbox.bots, timedelta(minutes=5, seconds=1))  # the retry cannot read history
    alerts = in_channel(sandbox, cast.modlog.id)
    assert any("history: 403" in text for text in alerts)
    await step(sandbox.bots, timedelta(minutes=5, seconds=1))  # fixed: found nothing, posted
    assert posts_of(sandbox, "Hidden") == 1
