"""The ledger of posts made once: one process wins a claim, only it records the outcome, and
a claim whose process died is taken over."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from bot.db import Database
from bot.db.models import Delivery, ReminderRow
from bot.ledger import STALE_CLAIM
from bot.reminders.service import POSTS, ReminderService
from tests.helpers import NOW, Clock


async def pending_reminder(database: Database) -> int:
    service = ReminderService(
        database, channel_id=42, grace=timedelta(hours=1), default_offsets=(0,), clock=Clock()
    )
    await service.save_milestone("Demo day", NOW + timedelta(hours=1), (0,))
    async with database.session() as session:
        row = (await session.exec(select(ReminderRow))).one()
    assert row.id is not None
    return row.id


async def status_of(database: Database, row_id: int) -> str:
    async with database.session() as session:
        row = await session.get(ReminderRow, row_id)
    assert row is not None
    return row.status


async def test_one_of_many_concurrent_claims_wins(database: Database) -> None:
    row_id = await pending_reminder(database)
    waiting = POSTS.open(Delivery.PENDING, NOW)
    tokens = await asyncio.gather(*(POSTS.claim(database, row_id, waiting, NOW) for _ in range(5)))
    assert len([t for t in tokens if t is not None]) == 1
    assert await status_of(database, row_id) == Delivery.CLAIMED


async def test_only_the_claims_holder_records_the_outcome(database: Database) -> None:
    row_id = await pending_reminder(database)
    token = await POSTS.claim(database, row_id, POSTS.open(Delivery.PENDING, NOW), NOW)
    assert token is not None
    assert not await POSTS.finish(
        database, row_id, POSTS.held("someone-else"), status=Delivery.SENT
    )
    assert await POSTS.finish(database, row_id, POSTS.held(token), status=Delivery.SENT)
    assert await status_of(database, row_id) == Delivery.SENT


async def test_a_dead_processs_claim_is_taken_over_only_once_it_is_stale(
    database: Database,
) -> None:
    row_id = await pending_reminder(database)
    first = await POSTS.claim(database, row_id, POSTS.open(Delivery.PENDING, NOW), NOW)
    soon = NOW + STALE_CLAIM - timedelta(seconds=1)
    assert await POSTS.claim(database, row_id, POSTS.open(Delivery.PENDING, soon), soon) is None
    later = NOW + STALE_CLAIM
    second = await POSTS.claim(database, row_id, POSTS.open(Delivery.PENDING, later), later)
    assert second is not None and second != first
    assert not await POSTS.finish(database, row_id, POSTS.held(first or ""), status=Delivery.SENT)


async def test_a_process_that_just_started_alone_takes_every_claim_over(
    database: Database,
) -> None:
    row_id = await pending_reminder(database)
    await POSTS.claim(database, row_id, POSTS.open(Delivery.PENDING, NOW), NOW)
    async with database.session() as session:
        stale = (await session.exec(select(ReminderRow.id).where(POSTS.stale(NOW)))).all()
        fresh = (
            await session.exec(
                select(ReminderRow.id).where(POSTS.stale(NOW, held_for=timedelta(0)))
            )
        ).all()
    assert stale == [] and fresh == [row_id]
