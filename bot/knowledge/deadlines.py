"""Live data beats static text: an entry about deadlines is shown with the next milestones
from the database (what `/deadlines` lists), so a learner never acts on a date the entry's
text states for another cohort.

Which entries are about deadlines is decided here, by slug (`DEADLINE_SLUGS`), not by a field
of the entry: nothing a moderator edits in Discord can switch it off by accident.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.reminders.service import MilestoneInfo
from bot.waits import within

log = logging.getLogger(__name__)

DEADLINE_SLUGS = frozenset(
    {
        "program-timeline",
        "project-nexus-timeline",
        "project-nexus-submission",
        "project-review-period",
    }
)
"""Entries about the program's dates; each shows the upcoming milestones under its text."""

SHOWN_DEADLINES = 3
"""At most this many upcoming milestones under an entry; `/deadlines` lists them all."""

LOOKUP_SECONDS = 1.0
"""How long the milestones may take: the entry must still answer within Discord's 3 seconds."""

TITLE = "Next deadlines (live)"
POINTER = "All upcoming deadlines, in your time zone: /deadlines"


class Upcoming(Protocol):
    """Where the upcoming milestones come from (`ReminderService`)."""

    async def upcoming(self, limit: int = 10) -> list[MilestoneInfo]:
        """Milestones not yet due, soonest first."""


@dataclass(frozen=True)
class LiveDeadlines:
    """What to show under an entry about deadlines."""

    title: str
    text: str
    milestones: tuple[MilestoneInfo, ...]


def stamp(moment: datetime, style: str = "F") -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def deadlines_text(
    milestones: Sequence[MilestoneInfo], *, escape: Callable[[str], str] = str
) -> str:
    """The milestones as lines with Discord timestamps (`escape` makes names inert), then a
    pointer to `/deadlines`; or say that none is coming."""
    if not milestones:
        return (
            "No upcoming deadline is scheduled right now. /deadlines lists them as soon as "
            "the moderators add them."
        )
    lines = [
        f"**{escape(m.name)}** — {stamp(m.due_at)} ({stamp(m.due_at, 'R')})" for m in milestones
    ]
    return "\n".join([*lines, POINTER])


async def live_deadlines(
    reminders: Upcoming, slug: str, *, escape: Callable[[str], str] = str
) -> LiveDeadlines | None:
    """The upcoming milestones to show under entry `slug`, or None when the entry is not about
    deadlines. When the database does not answer in time the entry is still shown, with a
    pointer to `/deadlines`."""
    if slug not in DEADLINE_SLUGS:
        return None
    try:
        found = await within(reminders.upcoming(limit=SHOWN_DEADLINES), LOOKUP_SECONDS)
    except Exception as exc:  # the entry matters more than the extra: show it, say where to look
        if isinstance(exc, TimeoutError):  # a busy database: one line, not a traceback each
            log.warning("upcoming milestones for %s not read within %s s", slug, LOOKUP_SECONDS)
        else:
            log.exception("could not read the upcoming milestones for %s", slug)
        return LiveDeadlines(TITLE, f"The dates could not be read just now. {POINTER}", ())
    milestones = tuple(found[:SHOWN_DEADLINES])
    return LiveDeadlines(TITLE, deadlines_text(milestones, escape=escape), milestones)
