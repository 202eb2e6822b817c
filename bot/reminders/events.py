"""Milestones as Discord scheduled events, so deadlines show in the server's Events tab.

Each milestone due in the future is one external event, created, updated and deleted with it.
A save or a removal marks the milestone's event `pending`; a sync (every `SYNC_SECONDS`, and
at once after a moderator's change) claims each pending milestone in its ledger, so one
replica does the work, and records the event's id. An event created just before a crash is
found again by the marker at the end of its description, never created twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import select

from bot.db import Database
from bot.db.models import EventStatus, MilestoneRow, utcnow
from bot.errors import DeliveryError
from bot.jobs import Jobs
from bot.ledger import Ledger

log = logging.getLogger(__name__)

EVENTS = Ledger(
    MilestoneRow,
    MilestoneRow.event_status,
    MilestoneRow.event_claimed_at,
    MilestoneRow.event_claim_token,
)
"""Each milestone's scheduled event, by its `EventStatus`."""
JOBS = "events:"
SYNC_SECONDS = 30
STOP_TIMEOUT = 10.0
EVENT_LENGTH = timedelta(hours=1)
"""An external event needs an end; a deadline is a moment, so it lasts an hour."""
MIN_LEAD = timedelta(minutes=1)
"""Discord refuses an event starting in the past: one due sooner than this gets none."""
NAME_MAX, DESCRIPTION_MAX = 100, 1000


@dataclass(frozen=True)
class EventDraft:
    """What the scheduled event of a milestone says."""

    name: str
    description: str
    start: datetime
    end: datetime
    location: str


class EventsGateway(Protocol):
    """The guild's scheduled events (implemented in the cog with discord.py). Failures raise
    `DeliveryError`; a missing permission is not retryable."""

    async def create(self, draft: EventDraft) -> int:
        """Create the event; its id."""

    async def update(self, event_id: int, draft: EventDraft) -> bool:
        """Change the event; False when it no longer exists."""

    async def delete(self, event_id: int) -> None:
        """Delete the event (an already deleted one is fine)."""

    async def find(self, marker: str) -> int | None:
        """The event whose description ends with `marker`, if any."""

    async def alert(self, text: str) -> None:
        """Tell the moderators (the mod-log); never raises."""


def marker(milestone_id: int) -> str:
    """The line that ties an event to its milestone."""
    return f"ProDev Nexus milestone #{milestone_id}"


def event_draft(row: MilestoneRow, location: str) -> EventDraft:
    """The event of milestone `row`, within Discord's limits."""
    tail = marker(row.id or 0)
    room = DESCRIPTION_MAX - len(tail) - 2
    text = row.description if len(row.description) <= room else row.description[: room - 1] + "…"
    return EventDraft(
        name=row.name[:NAME_MAX],
        description=f"{text}\n\n{tail}".strip(),
        start=row.due_at,
        end=row.due_at + EVENT_LENGTH,
        location=location[:100],
    )


class EventSync:
    """Keeps each milestone's Discord scheduled event in step with it. No discord imports."""

    def __init__(
        self,
        database: Database,
        *,
        location: str,
        jobs: Jobs | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.location = location
        self.clock = clock
        self.jobs = jobs or Jobs(clock)
        self.gateway: EventsGateway | None = None
        self._warned = False

    async def start(self, gateway: EventsGateway) -> None:
        """Sync now and every `SYNC_SECONDS`; milestones that failed (no permission) are tried
        again, in case the permission was granted meanwhile."""
        self.gateway = gateway
        async with self.database.session() as session:
            failed = (
                await session.exec(
                    select(MilestoneRow).where(MilestoneRow.event_status == EventStatus.FAILED)
                )
            ).all()
            for row in failed:
                row.event_status = EventStatus.PENDING
        self.jobs.start()
        self.jobs.every(f"{JOBS}sync", SYNC_SECONDS, self.sync)
        self.request()

    async def stop(self) -> None:
        """Stop syncing; a sync in progress finishes (within a limit)."""
        await self.jobs.stop_group(JOBS, STOP_TIMEOUT)
        self.gateway = None

    def request(self) -> None:
        """Sync as soon as possible (after a moderator's change)."""
        if self.gateway is not None:
            self.jobs.at(f"{JOBS}now", self.clock(), self.sync)

    async def sync(self) -> None:
        """Bring every changed milestone's event in step, each claimed by one process."""
        now = self.clock()
        waiting = EVENTS.open(EventStatus.PENDING, now)
        async with self.database.session() as session:
            rows = (
                await session.exec(
                    select(MilestoneRow.id, MilestoneRow.event_claimed_at).where(waiting)
                )
            ).all()
        for milestone_id, claimed_before in rows:
            token = await EVENTS.claim(self.database, milestone_id or 0, waiting, now)
            if token is not None:
                tried = claimed_before is not None  # an earlier attempt may have created it
                await self._sync_claimed(milestone_id or 0, token, now, tried=tried)

    async def _sync_claimed(
        self, milestone_id: int, token: str, now: datetime, *, tried: bool
    ) -> None:
        try:
            event_id = await self._apply(milestone_id, now, tried=tried)
        except DeliveryError as error:
            status = EventStatus.PENDING if error.retryable else EventStatus.FAILED
            await EVENTS.finish(
                self.database, milestone_id, EVENTS.held(token), event_status=status
            )
            if error.retryable:
                log.warning("scheduled event of milestone %s: %s; will retry", milestone_id, error)
            else:
                await self._warn(error)
            return
        # a moderator's change meanwhile cleared the token: the row stays pending, for later
        await EVENTS.finish(
            self.database,
            milestone_id,
            EVENTS.held(token),
            event_status=EventStatus.SYNCED,
            event_id=event_id,
        )

    async def _apply(self, milestone_id: int, now: datetime, *, tried: bool) -> int | None:
        """Create, update or delete the event; its id afterwards. Discord's event list is
        only searched when an earlier attempt may have created the event unrecorded."""
        assert self.gateway is not None
        async with self.database.session() as session:
            row = await session.get(MilestoneRow, milestone_id)
        assert row is not None
        event_id = row.event_id
        if event_id is None and tried:
            event_id = await self.gateway.find(marker(milestone_id))
        if row.deleted:
            if event_id is not None:
                await self.gateway.delete(event_id)
            return None
        if row.due_at < now + MIN_LEAD:
            return event_id  # past or about to be: Discord takes no event starting then
        draft = event_draft(row, self.location)
        if event_id is not None and await self.gateway.update(event_id, draft):
            return event_id
        return await self.gateway.create(draft)

    async def _warn(self, error: DeliveryError) -> None:
        if self._warned:
            return
        self._warned = True
        text = (
            f"Milestones cannot be shown as Discord events ({error}): give the bot the "
            "Manage Events permission. Reminders are not affected."
        )
        log.error(text)
        assert self.gateway is not None
        await self.gateway.alert(text)
