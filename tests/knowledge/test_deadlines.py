"""Entries about deadlines show the next milestones from the database, not only static text."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.db import Database
from bot.knowledge.deadlines import (
    DEADLINE_SLUGS,
    POINTER,
    SHOWN_DEADLINES,
    deadlines_text,
    live_deadlines,
)
from bot.knowledge.files import load_directory
from bot.reminders.service import MilestoneInfo, ReminderService
from tests.helpers import NOW, Clock

CONTENT = Path(__file__).resolve().parents[2] / "content"
DEADLINE = "project-nexus-submission"


def make_service(database: Database, clock: Clock) -> ReminderService:
    return ReminderService(
        database, channel_id=42, grace=timedelta(hours=6), default_offsets=(0,), clock=clock
    )


def unix(info: MilestoneInfo) -> int:
    return int(info.due_at.timestamp())


def test_every_deadline_slug_is_an_entry() -> None:
    """A renamed entry would silently lose its live dates."""
    slugs = {entry.slug for entry in load_directory(CONTENT)[0]}
    assert sorted(DEADLINE_SLUGS - slugs) == []


async def test_an_entry_about_deadlines_shows_the_next_three_upcoming(database: Database) -> None:
    clock = Clock(NOW)
    service = make_service(database, clock)
    await service.save_milestone("Past demo", NOW - timedelta(days=1))
    for days, name in ((30, "Month 3 begins"), (2, "Submission"), (9, "Review"), (5, "Demo")):
        await service.save_milestone(name, NOW + timedelta(days=days))
    live = await live_deadlines(service, DEADLINE)
    assert live is not None
    assert [m.name for m in live.milestones] == ["Submission", "Demo", "Review"]
    assert len(live.milestones) == SHOWN_DEADLINES
    lines = live.text.splitlines()
    first = live.milestones[0]
    assert lines[0] == f"**Submission** — <t:{unix(first)}:F> (<t:{unix(first)}:R>)"
    assert lines[-1] == POINTER and "/deadlines" in POINTER
    assert "Past demo" not in live.text and "Month 3" not in live.text


async def test_a_new_milestone_shows_at_once(database: Database) -> None:
    service = make_service(database, Clock(NOW))
    assert (await live_deadlines(service, DEADLINE)).milestones == ()  # type: ignore[union-attr]
    await service.save_milestone("Final demo", NOW + timedelta(hours=3))
    live = await live_deadlines(service, "program-timeline")
    assert live is not None and [m.name for m in live.milestones] == ["Final demo"]


async def test_with_nothing_upcoming_it_says_so_and_points_to_deadlines(database: Database) -> None:
    service = make_service(database, Clock(NOW))
    await service.save_milestone("Long gone", NOW - timedelta(days=3))
    live = await live_deadlines(service, DEADLINE)
    assert live is not None and live.milestones == ()
    assert "No upcoming deadline" in live.text and "/deadlines" in live.text


async def test_other_entries_show_no_deadlines(database: Database) -> None:
    service = make_service(database, Clock(NOW))
    await service.save_milestone("Soon", NOW + timedelta(days=1))
    for slug in ("docker", "project-nexus", "mentors", "caching"):
        assert await live_deadlines(service, slug) is None


def test_names_are_escaped_by_the_given_function() -> None:
    info = MilestoneInfo(1, "**bold** @everyone", "", NOW, (0,), ())
    text = deadlines_text([info], escape=lambda s: s.replace("*", "\\*"))
    assert text.startswith("**\\*\\*bold\\*\\* @everyone** — <t:")


class Broken:
    async def upcoming(self, limit: int = 10) -> list[MilestoneInfo]:
        raise OSError("database is locked")


class Slow:
    async def upcoming(self, limit: int = 10) -> list[MilestoneInfo]:
        await asyncio.sleep(60)
        return []


async def test_a_failing_or_slow_database_still_shows_the_entry_with_a_pointer() -> None:
    for source in (Broken(), Slow()):
        live = await asyncio.wait_for(live_deadlines(source, DEADLINE), 5)
        assert live is not None and live.milestones == ()
        assert "could not be read" in live.text and "/deadlines" in live.text


async def test_a_slow_database_costs_one_log_line_and_a_failing_one_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        await live_deadlines(Slow(), DEADLINE)
    assert "not read within" in caplog.text and "Traceback" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        await live_deadlines(Broken(), DEADLINE)
    assert caplog.records[-1].exc_info is not None  # a real failure keeps its traceback
