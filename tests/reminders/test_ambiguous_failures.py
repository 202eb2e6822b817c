"""Discord's ambiguous failures, as Discord has them: a message made and still answered with a
5xx, an outage longer than the few minutes Discord keeps a nonce, a crash in the middle of the
DM copies, a milestone moved while its post fails. No reminder or copy is lost or doubled."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from bot.db.models import Delivery, ReminderRow
from bot.errors import DeliveryError
from bot.reminders.service import ReminderService
from tests.helpers import NOW, Clock

DAY = 86400


NONCE_WINDOW = timedelta(minutes=5)


class NonceDiscord:
    """Discord as the bot meets it: a repeated nonce returns the earlier message for
    `NONCE_WINDOW` only, and a post or DM can be made and still answered with a 502."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.posts: list[tuple[int, str, str, datetime]] = []
        self.dms: list[tuple[int, str, str, datetime]] = []
        self.created_then_5xx = 0  # the next N posts are made, then answered with 502
        self.fail_5xx = 0  # the next N posts are refused with 502 (nothing made)
        self.dm_created_then_5xx = 0
        self.dm_crash_after = False
        self.alerts: list[str] = []

    def _dedup(self, store: list[tuple[int, str, str, datetime]], nonce: str) -> int | None:
        for number, (_, _, earlier, at) in enumerate(store, start=1):
            if earlier == nonce and self.clock() - at < NONCE_WINDOW:
                return number
        return None

    async def post(self, channel_id: int, content: str, nonce: str) -> int:
        if self.created_then_5xx:
            self.created_then_5xx -= 1
            if self._dedup(self.posts, nonce) is None:
                self.posts.append((channel_id, content, nonce, self.clock()))
            raise DeliveryError("502 Bad Gateway", retryable=True)
        if self.fail_5xx:
            self.fail_5xx -= 1
            raise DeliveryError("502 Bad Gateway", retryable=True)
        found = self._dedup(self.posts, nonce)
        if found is not None:
            return found
        self.posts.append((channel_id, content, nonce, self.clock()))
        return len(self.posts)

    async def find_since(
        self, channel_id: int, content: str, since: datetime, exclude: frozenset[int]
    ) -> int | None:
        head = content.split("\n")[0]
        for number, (channel, text, _, at) in enumerate(self.posts, start=1):
            if (
                channel == channel_id
                and at > since
                and number not in exclude
                and text.split("\n")[0] == head
            ):
                return number
        return None

    async def alert(self, text: str) -> None:
        self.alerts.append(text)

    async def direct(
        self, user_id: int, content: str, nonce: str, reminder_id: int | None = None
    ) -> bool:
        if self._dedup(self.dms, nonce) is not None:
            return True
        self.dms.append((user_id, content, nonce, self.clock()))
        if self.dm_crash_after:
            raise asyncio.CancelledError
        if self.dm_created_then_5xx:
            self.dm_created_then_5xx -= 1
            raise DeliveryError("502 Bad Gateway", retryable=True)
        return True


def replica(database: Database, clock: Clock, discord: NonceDiscord) -> ReminderService:
    """A process delivering reminders to `discord` (a new one: after a crash, a replica)."""
    service = ReminderService(
        database, channel_id=42, grace=timedelta(hours=6), default_offsets=(DAY, 0), clock=clock
    )
    service.poster = discord
    return service


def connected(database: Database) -> tuple[ReminderService, NonceDiscord, Clock]:
    clock = Clock()
    discord = NonceDiscord(clock)
    return replica(database, clock, discord), discord, clock


async def due_now(database: Database) -> tuple[ReminderService, NonceDiscord, Clock]:
    """A milestone whose one reminder (at the due time) is due now, nothing posted yet."""
    service, discord, clock = connected(database)
    await service.save_milestone("Capstone", NOW + timedelta(minutes=1), (0,))
    clock.now += timedelta(minutes=1)
    return service, discord, clock


async def due_now_after_a_done_mark(
    database: Database, subscriber: int
) -> tuple[ReminderService, NonceDiscord, Clock]:
    """The day-before reminder went out (a DM copy to `subscriber`) and learner 7 marked it
    done, so the due-now reminder, due now, counts one done mark."""
    service, discord, clock = connected(database)
    await service.subscribe(subscriber)
    await service.save_milestone("Capstone", NOW + timedelta(days=1, minutes=1), (DAY, 0))
    clock.now += timedelta(minutes=1)
    await service.sweep()
    await service.mark_done((await ids_by_offset(database))[DAY], user_id=7)
    clock.now += timedelta(days=1)
    return service, discord, clock


async def ids_by_offset(database: Database) -> dict[int, int]:
    async with database.session() as session:
        rows = (await session.exec(select(ReminderRow))).all()
    return {r.offset_seconds: r.id or 0 for r in rows if r.status != Delivery.CANCELLED}


async def test_a_post_made_but_answered_502_is_not_posted_again_after_its_text_changed(
    database: Database,
) -> None:
    service, discord, clock = connected(database)
    await service.save_milestone("Capstone", NOW + timedelta(days=1, minutes=1), (DAY, 0))
    clock.now += timedelta(minutes=1)
    await service.sweep()  # the day-before reminder goes out
    assert len(discord.posts) == 1
    day_before = (await ids_by_offset(database))[DAY]
    clock.now += timedelta(days=1)
    discord.created_then_5xx = 1  # Discord made the "due now" post but answered 502
    await service.sweep()
    assert len(discord.posts) == 2
    await service.mark_done(day_before, user_id=7)  # a learner clicks Done on the DM copy
    clock.now += timedelta(seconds=6)
    await service.sweep()  # the retry
    heads = [p[1].split("\n")[0] for p in discord.posts]
    assert len(discord.posts) == 2, heads


async def test_a_post_made_but_answered_502_is_found_after_an_outage_longer_than_the_nonce(
    database: Database,
) -> None:
    service, discord, clock = await due_now(database)
    discord.created_then_5xx = 1
    discord.fail_5xx = 6  # Discord keeps failing for ~5 minutes (backoff 5,10,...,160 s)
    for _ in range(200):
        clock.now += timedelta(seconds=5)
        await service.sweep()
    async with database.session() as session:
        row = (await session.exec(select(ReminderRow))).one()
    assert row.status == Delivery.SENT
    assert len(discord.posts) == 1, [(p[3] - NOW) for p in discord.posts]


async def test_a_dm_copy_made_but_answered_502_is_not_sent_again(database: Database) -> None:
    service, discord, clock = await due_now_after_a_done_mark(database, subscriber=9)
    discord.dm_created_then_5xx = 1  # the DM copy to 9 was delivered, Discord answered 502
    await service.sweep()
    clock.now += timedelta(seconds=6)
    await service.sweep()
    to_nine = [d for d in discord.dms if d[0] == 9]
    assert len(to_nine) == 2, to_nine  # the day-before copy and the due-now copy, once each


async def test_a_dm_copy_sent_just_before_a_crash_is_not_sent_again(database: Database) -> None:
    service, discord, clock = await due_now_after_a_done_mark(database, subscriber=9)
    discord.dm_crash_after = True
    with pytest.raises(asyncio.CancelledError):
        await service.sweep()
    discord.dm_crash_after = False
    clock.now += timedelta(minutes=2)  # within Discord's nonce window
    await replica(database, clock, discord).sweep()
    to_nine = [d for d in discord.dms if d[0] == 9]
    assert len(to_nine) == 2, [(d[1].splitlines()[-1], d[2]) for d in to_nine]


async def test_a_crash_during_the_first_dm_copy_loses_no_other_copy(
    database: Database,
) -> None:
    service, discord, clock = connected(database)
    for user in (7, 8, 9):
        await service.subscribe(user)
    await service.save_milestone("Deadline", NOW, (0,))
    discord.dm_crash_after = True  # killed while sending the first copy
    with pytest.raises(asyncio.CancelledError):
        await service.sweep()
    discord.dm_crash_after = False
    for _ in range(4):
        clock.now += timedelta(minutes=2)
        await replica(database, clock, discord).sweep(startup=True)
    assert len(discord.posts) == 1
    assert sorted(user for user, *_ in discord.dms) == [7, 8, 9]


async def test_a_crash_right_after_the_post_is_recorded_loses_no_copy(
    database: Database,
) -> None:
    service, discord, clock = connected(database)
    await service.subscribe(7)
    await service.save_milestone("Deadline", NOW, (0,))

    async def killed(*_args: object) -> None:
        raise asyncio.CancelledError  # SIGKILL between _finish(SENT) and the DM fan-out

    service._direct_copies = killed  # type: ignore[assignment]
    with pytest.raises(asyncio.CancelledError):
        await service.sweep()
    clock.now += timedelta(minutes=5)
    await replica(database, clock, discord).sweep(startup=True)
    assert len(discord.posts) == 1
    assert [user for user, *_ in discord.dms] == [7]


async def test_a_milestone_moved_while_its_post_fails_gets_no_early_due_now(
    database: Database,
) -> None:
    service, discord, clock = await due_now(database)
    real_post = discord.post

    async def post_while_moderator_moves_it(channel_id: int, content: str, nonce: str) -> int:
        # the deadline is pushed back a week while this post is in flight, and it fails
        await service.save_milestone("Capstone", NOW + timedelta(days=7), (0,))
        raise DeliveryError("503", retryable=True)

    discord.post = post_while_moderator_moves_it  # type: ignore[method-assign]
    await service.sweep()  # the failed post's reminder is cancelled: the new one waits
    discord.post = real_post  # type: ignore[method-assign]
    for _ in range(5):
        clock.now += timedelta(seconds=30)
        await service.sweep()
    early = [p[1].split("\n")[0] for p in discord.posts]
    assert early == [], early  # nothing is due for a week: no "due now" today


async def test_a_retry_does_not_take_another_reminders_post_for_its_own(
    database: Database,
) -> None:
    """Every reminder before the due time opens with the same line. Back from downtime, the
    two-hour and the one-hour reminder are both due; the second post fails with nothing made,
    and its retry must post it rather than find the first one's message."""
    service, discord, clock = connected(database)
    await service.save_milestone("Capstone", NOW + timedelta(hours=3), (2 * 3600, 3600))
    clock.now += timedelta(hours=2, minutes=1)  # both are due now
    real_post, posted = discord.post, 0

    async def second_fails(channel_id: int, content: str, nonce: str) -> int:
        nonlocal posted
        posted += 1
        if posted == 2:
            raise DeliveryError("502 Bad Gateway", retryable=True)  # nothing made
        return await real_post(channel_id, content, nonce)

    discord.post = second_fails  # type: ignore[method-assign]
    await service.sweep()
    clock.now += timedelta(seconds=6)
    await service.sweep()
    async with database.session() as session:
        rows = (await session.exec(select(ReminderRow))).all()
    assert [row.status for row in rows] == [Delivery.SENT, Delivery.SENT]
    assert len(discord.posts) == 2 and len({row.message_id for row in rows}) == 2
