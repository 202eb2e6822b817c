"""Milestones as Discord scheduled events: one event each, in step, never twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from bot.db.models import EventStatus, MilestoneRow
from bot.errors import DeliveryError
from bot.reminders.events import DESCRIPTION_MAX, EventDraft, EventSync, marker
from bot.reminders.service import ReminderService
from tests.helpers import NOW, Clock


class FakeEvents:
    """The guild's scheduled events; can crash after creating, or lack the permission."""

    def __init__(self) -> None:
        self.events: dict[int, EventDraft] = {}
        self.created = 0
        self.crash_after_create = False
        self.forbidden = False
        self.alerts: list[str] = []
        self.searches = 0

    def _check(self) -> None:
        if self.forbidden:
            raise DeliveryError("403 Missing Permissions", retryable=False)

    async def create(self, draft: EventDraft) -> int:
        self._check()
        await asyncio.sleep(0)  # another replica may run meanwhile
        self.created += 1
        self.events[self.created] = draft
        if self.crash_after_create:
            raise asyncio.CancelledError  # the process dies before recording the id
        return self.created

    async def update(self, event_id: int, draft: EventDraft) -> bool:
        self._check()
        if event_id not in self.events:
            return False
        self.events[event_id] = draft
        return True

    async def delete(self, event_id: int) -> None:
        self._check()
        self.events.pop(event_id, None)

    async def find(self, tail: str) -> int | None:
        self.searches += 1
        return next((i for i, d in self.events.items() if d.description.endswith(tail)), None)

    async def alert(self, text: str) -> None:
        self.alerts.append(text)


def reminders(database: Database, clock: Clock) -> ReminderService:
    return ReminderService(
        database, channel_id=42, grace=timedelta(hours=1), default_offsets=(0,), clock=clock
    )


def syncing(database: Database, clock: Clock, gateway: FakeEvents) -> EventSync:
    sync = EventSync(database, location="https://discord.com/channels/1/2", clock=clock)
    sync.gateway = gateway
    return sync


async def test_an_event_follows_its_milestone_from_creation_to_removal(database: Database) -> None:
    clock, gateway = Clock(), FakeEvents()
    service, sync = reminders(database, clock), syncing(database, clock, gateway)
    await service.save_milestone("Demo day", NOW + timedelta(days=7), (0,), "Show it")
    await sync.sync()
    (draft,) = gateway.events.values()
    assert draft.name == "Demo day" and draft.start == NOW + timedelta(days=7)
    assert draft.end - draft.start == timedelta(hours=1) and "Show it" in draft.description
    await service.save_milestone("demo DAY", NOW + timedelta(days=8), (0,), "Moved")
    await sync.sync()
    assert [d.start for d in gateway.events.values()] == [NOW + timedelta(days=8)]
    await sync.sync()  # nothing changed: nothing to do
    assert gateway.created == 1
    await service.remove_milestone("Demo day")
    await sync.sync()
    assert gateway.events == {}


async def test_two_replicas_syncing_at_once_create_one_event(database: Database) -> None:
    clock, gateway = Clock(), FakeEvents()
    await reminders(database, clock).save_milestone("Demo day", NOW + timedelta(days=7), (0,))
    first, second = syncing(database, clock, gateway), syncing(database, clock, gateway)
    await asyncio.gather(first.sync(), second.sync(), first.sync())
    assert gateway.created == 1


async def test_a_crash_after_creating_is_recovered_without_a_second_event(
    database: Database,
) -> None:
    clock, gateway = Clock(), FakeEvents()
    await reminders(database, clock).save_milestone("Demo day", NOW + timedelta(days=7), (0,))
    gateway.crash_after_create = True
    with pytest.raises(asyncio.CancelledError):
        await syncing(database, clock, gateway).sync()
    gateway.crash_after_create = False
    await syncing(database, clock, gateway).sync()  # the claim is not stale yet
    assert gateway.created == 1
    clock.now += timedelta(minutes=2)
    await syncing(database, clock, gateway).sync()  # another replica takes over
    assert gateway.created == 1 and len(gateway.events) == 1
    async with database.session() as session:
        row = (await session.exec(select(MilestoneRow))).one()
    assert row.event_id == 1 and row.event_status == EventStatus.SYNCED


async def test_a_moderators_edit_during_a_sync_is_synced_after_it(database: Database) -> None:
    clock, gateway = Clock(), FakeEvents()
    service = reminders(database, clock)
    await service.save_milestone("Demo day", NOW + timedelta(days=7), (0,))
    sync = syncing(database, clock, gateway)
    original = gateway.create

    async def create_while_edited(draft: EventDraft) -> int:
        await service.save_milestone("Demo day", NOW + timedelta(days=9), (0,))
        return await original(draft)

    gateway.create = create_while_edited  # type: ignore[method-assign]
    await sync.sync()
    gateway.create = original  # type: ignore[method-assign]
    await sync.sync()
    assert [d.start for d in gateway.events.values()] == [NOW + timedelta(days=9)]


async def test_without_manage_events_moderators_are_told_once_and_reminders_go_on(
    database: Database,
) -> None:
    clock, gateway = Clock(), FakeEvents()
    service, sync = reminders(database, clock), syncing(database, clock, gateway)
    gateway.forbidden = True
    await service.save_milestone("One", NOW + timedelta(days=7), (0,))
    await service.save_milestone("Two", NOW + timedelta(days=8), (0,))
    await sync.sync()
    await sync.sync()
    assert len(gateway.alerts) == 1 and "Manage Events" in gateway.alerts[0]
    assert len(await service.upcoming()) == 2
    gateway.forbidden = False  # a moderator grants the permission; the bot restarts
    await sync.start(gateway)
    await sync.jobs.run_due()
    assert gateway.created == 2
    await sync.stop()


async def test_past_milestones_get_no_event_and_long_descriptions_fit(database: Database) -> None:
    clock, gateway = Clock(), FakeEvents()
    service, sync = reminders(database, clock), syncing(database, clock, gateway)
    await service.save_milestone("Gone", NOW - timedelta(days=1), (0,))
    await service.save_milestone("Long", NOW + timedelta(days=1), (0,), "word " * 199)
    await sync.sync()
    (draft,) = gateway.events.values()
    assert draft.name == "Long" and len(draft.description) <= DESCRIPTION_MAX
    assert draft.description.endswith(marker(2))


async def test_a_new_milestone_is_created_without_searching_the_events(
    database: Database,
) -> None:
    """Only a milestone an earlier attempt may have created an event for looks for it."""
    clock, gateway = Clock(), FakeEvents()
    service, sync = reminders(database, clock), syncing(database, clock, gateway)
    for day in range(1, 6):
        await service.save_milestone(f"M{day}", NOW + timedelta(days=day), (0,))
    await sync.sync()
    assert gateway.created == 5 and gateway.searches == 0
