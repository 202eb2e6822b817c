"""Reminder delivery with a fake clock and a fake Discord: the guarantees, one by one."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from bot.db import Database
from bot.db.models import Delivery, DirectDeliveryRow, ReminderRow
from bot.errors import DeliveryError, UserError
from bot.jobs import Jobs
from bot.reminders.service import ReminderService, reminder_text
from tests.helpers import NOW, Clock

HOUR = 3600


class FakeDiscord:
    """Records posts; can fail, crash after posting, or have closed DMs."""

    def __init__(self) -> None:
        self.posts: list[tuple[int, str, str]] = []
        self.looked_since: list[datetime] = []
        self.dms: list[tuple[int, str]] = []
        self.failures: list[DeliveryError] = []
        self.crash_after_post = False
        self.closed_dms: set[int] = set()
        self.dm_failures: list[DeliveryError] = []
        self.crash_in_dm = False
        self.alerts: list[str] = []

    async def post(self, channel_id: int, content: str, nonce: str) -> int:
        if self.failures:
            raise self.failures.pop(0)
        self.posts.append((channel_id, content, nonce))
        if self.crash_after_post:
            raise asyncio.CancelledError  # the process dies before the bookkeeping
        return len(self.posts)

    async def find_since(
        self, channel_id: int, content: str, since: datetime, exclude: frozenset[int]
    ) -> int | None:
        self.looked_since.append(since)
        for number, (channel, text, _) in enumerate(self.posts, start=1):
            if (
                channel == channel_id
                and number not in exclude
                and text.split("\n")[0] == content.split("\n")[0]
            ):
                return number
        return None

    async def alert(self, text: str) -> None:
        self.alerts.append(text)

    async def direct(
        self, user_id: int, content: str, nonce: str, reminder_id: int | None = None
    ) -> bool:
        if user_id in self.closed_dms:
            return False
        if self.crash_in_dm:
            raise asyncio.CancelledError  # the process dies while sending
        if self.dm_failures:
            raise self.dm_failures.pop(0)
        self.dms.append((user_id, content))
        return True


def make_service(database: Database, clock: Clock) -> ReminderService:
    return ReminderService(
        database, channel_id=42, grace=timedelta(hours=6), default_offsets=(86400, 0), clock=clock
    )


async def statuses(database: Database) -> dict[int, str]:
    async with database.session() as session:
        rows = (await session.exec(select(ReminderRow))).all()
    return {row.offset_seconds: row.status for row in rows if row.status != Delivery.CANCELLED}


async def deliver_all_due(service: ReminderService) -> None:
    await service.sweep()


async def test_future_offsets_pend_and_past_ones_are_skipped(database: Database) -> None:
    clock = Clock()
    service = make_service(database, clock)
    info, created = await service.save_milestone(
        "Submission", NOW + timedelta(hours=5), (86400, 2 * HOUR, 0)
    )
    assert created and len(info.pending) == 2
    assert await statuses(database) == {
        86400: Delivery.SKIPPED,
        2 * HOUR: Delivery.PENDING,
        0: Delivery.PENDING,
    }


async def test_due_reminder_posts_once_even_when_delivered_twice(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.save_milestone("Deadline", NOW + timedelta(hours=1), (0,))
    clock.now += timedelta(hours=1)
    reminder_id = await only_pending_id(database)
    await asyncio.gather(service.deliver(reminder_id), service.deliver(reminder_id))
    await service.deliver(reminder_id)
    assert len(discord.posts) == 1
    channel, content, nonce = discord.posts[0]
    assert channel == 42 and "Deadline" in content and "<t:" in content
    assert nonce == await service.nonces("reminder", reminder_id, 42)
    assert await statuses(database) == {0: Delivery.SENT}


async def only_pending_id(database: Database) -> int:
    async with database.session() as session:
        row = (
            await session.exec(select(ReminderRow).where(ReminderRow.status == Delivery.PENDING))
        ).one()
    assert row.id is not None
    return row.id


async def test_two_processes_on_one_database_post_once(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    first, second = make_service(database, clock), make_service(database, clock)
    first.poster = second.poster = discord
    await first.save_milestone("Deadline", NOW + timedelta(minutes=1), (0,))
    clock.now += timedelta(minutes=1)
    reminder_id = await only_pending_id(database)
    await asyncio.gather(*(s.deliver(reminder_id) for s in (first, second) * 5))
    assert len(discord.posts) == 1


async def test_missed_reminder_within_grace_posts_once_at_start(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    await make_service(database, clock).save_milestone("Deadline", NOW + timedelta(hours=1), (0,))
    clock.now += timedelta(hours=3)  # the bot was down when it was due
    service = make_service(database, clock)
    await service.start(discord)
    try:
        assert len(discord.posts) == 1
        await service.sweep()
        assert len(discord.posts) == 1
    finally:
        await service.stop()


async def test_missed_reminder_beyond_grace_is_skipped_not_spammed(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    await make_service(database, clock).save_milestone(
        "Deadline", NOW + timedelta(hours=1), (2 * HOUR, 0)
    )
    clock.now += timedelta(hours=10)
    service = make_service(database, clock)
    service.poster = discord
    await service.sweep(startup=True)
    assert discord.posts == []
    assert await statuses(database) == {2 * HOUR: Delivery.SKIPPED, 0: Delivery.SKIPPED}


async def test_milestone_created_in_the_past_posts_nothing(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.save_milestone("Long gone", NOW - timedelta(days=2), (86400, 0))
    await service.sweep()
    assert discord.posts == []


async def crashed_after_posting(
    database: Database, clock: Clock, discord: FakeDiscord
) -> tuple[ReminderService, int]:
    """A service that posted a reminder and died before it recorded the post."""
    crashed = make_service(database, clock)
    crashed.poster = discord
    await crashed.save_milestone("Deadline", NOW, (0,))
    reminder_id = await only_pending_id(database)
    discord.crash_after_post = True
    with pytest.raises(asyncio.CancelledError):
        await crashed.deliver(reminder_id)
    discord.crash_after_post = False
    return crashed, reminder_id


async def test_crash_between_post_and_bookkeeping_does_not_double(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    await crashed_after_posting(database, clock, discord)
    assert await statuses(database) == {0: Delivery.CLAIMED}
    clock.now += timedelta(minutes=2)  # a replica waits until the claim is stale
    restarted = make_service(database, clock)
    restarted.poster = discord
    await restarted.sweep(startup=True)
    assert len(discord.posts) == 1
    assert await statuses(database) == {0: Delivery.SENT}
    assert discord.looked_since == [NOW - timedelta(minutes=1)]  # everything since the claim


async def test_a_done_mark_between_crash_and_recovery_does_not_double_the_post(
    database: Database,
) -> None:
    """The done count in the post changed while the process was dead: recovery still finds
    the earlier post by its first line."""
    clock, discord = Clock(), FakeDiscord()
    crashed, reminder_id = await crashed_after_posting(database, clock, discord)
    await crashed.mark_done(reminder_id, 7)  # a learner marks it done meanwhile
    clock.now += timedelta(minutes=2)
    restarted = make_service(database, clock)
    restarted.poster = discord
    await restarted.sweep(startup=True)
    assert len(discord.posts) == 1 and "✅" not in discord.posts[0][1]


async def test_crash_between_claim_and_post_posts_after_restart(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    crashed = make_service(database, clock)
    await crashed.save_milestone("Deadline", NOW, (0,))
    reminder_id = await only_pending_id(database)
    assert await crashed._claim(reminder_id, ReminderRow.status == Delivery.PENDING, NOW)
    # Another replica must not steal a fresh claim; a stale one is recovered.
    other = make_service(database, clock)
    other.poster = discord
    await other.sweep()
    assert discord.posts == []
    clock.now += timedelta(minutes=2)
    await other.sweep()
    assert len(discord.posts) == 1 and await statuses(database) == {0: Delivery.SENT}


async def test_rate_limit_and_server_errors_are_retried_without_doubling(
    database: Database,
) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.save_milestone("Deadline", NOW, (0,))
    discord.failures = [DeliveryError("429", retryable=True), DeliveryError("502", retryable=True)]
    await service.sweep()
    assert discord.posts == [] and await statuses(database) == {0: Delivery.PENDING}
    await service.sweep()  # too early for the retry
    assert len(discord.failures) == 1
    clock.now += timedelta(seconds=6)
    await service.sweep()
    clock.now += timedelta(seconds=11)
    await service.sweep()
    await service.sweep()
    assert len(discord.posts) == 1 and await statuses(database) == {0: Delivery.SENT}


async def test_missing_access_alerts_once_and_posts_when_fixed(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.save_milestone("Deadline", NOW, (0,))
    discord.failures = [DeliveryError("403 Missing Access", retryable=False)] * 3
    for _ in range(3):
        await service.sweep()
        clock.now += timedelta(minutes=5)
    assert discord.posts == [] and len(discord.alerts) == 1  # one alert, not one per try
    assert "Missing Access" in discord.alerts[0]
    await service.sweep()  # the moderators fixed the permissions
    assert len(discord.posts) == 1 and await statuses(database) == {0: Delivery.SENT}


async def test_many_server_errors_still_post_within_the_grace_window(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.save_milestone("Deadline", NOW, (0,))
    discord.failures = [DeliveryError("503", retryable=True)] * 12
    for _ in range(16):
        await service.sweep()
        clock.now += timedelta(minutes=5)
    assert len(discord.posts) == 1 and await statuses(database) == {0: Delivery.SENT}
    assert discord.alerts == []


async def test_gives_up_only_when_the_grace_window_closes(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)  # grace: 6 hours
    service.poster = discord
    await service.save_milestone("Deadline", NOW, (0,))
    discord.failures = [DeliveryError("403 Missing Access", retryable=False)] * 100
    clock.now += timedelta(hours=5, minutes=50)
    await service.sweep()
    assert await statuses(database) == {0: Delivery.PENDING}
    clock.now += timedelta(minutes=6)
    await service.sweep()
    assert discord.posts == [] and await statuses(database) == {0: Delivery.FAILED}


async def test_editing_reschedules_and_removing_cancels(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.save_milestone("Deadline", NOW + timedelta(hours=1), (0,))
    info, created = await service.save_milestone("Deadline", NOW + timedelta(hours=2), (0,))
    assert not created and info.pending == (NOW + timedelta(hours=2),)
    clock.now += timedelta(hours=1)
    await service.sweep()
    assert discord.posts == []  # the old time no longer posts
    assert await service.remove_milestone("Deadline")
    clock.now += timedelta(hours=1)
    await service.sweep()
    assert discord.posts == [] and await service.all_milestones() == []


async def test_dm_copies_once_and_closed_dms_unsubscribe(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    assert await service.subscribe(7) and await service.subscribe(8)
    assert not await service.subscribe(7)
    discord.closed_dms.add(8)
    await service.save_milestone("Deadline", NOW, (0,))
    await service.sweep()
    assert [user for user, _ in discord.dms] == [7]
    assert not await service.unsubscribe(8)  # already unsubscribed because DMs were closed
    assert await service.unsubscribe(7)


async def test_concurrent_saves_of_one_name_make_one_milestone(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    due = NOW + timedelta(hours=1)
    saved = await asyncio.gather(
        *(
            service.save_milestone(name, due, (1800, 0))
            for name in ("Demo day", "demo  DAY", "Demo Day", "DEMO DAY")
        )
    )
    assert len({info.id for info, _ in saved}) == 1
    assert sum(created for _, created in saved) == 1
    (live,) = await service.all_milestones()
    assert live.name in {info.name for info, _ in saved}
    assert await pending_offsets(database) == [0, 1800]  # one pending reminder per offset
    clock.now = due
    await service.sweep()
    assert len(discord.posts) == 2  # the 30-minute and the due-now reminder, once each


async def test_saving_again_right_after_a_reminder_went_out_does_not_repeat_it(
    database: Database,
) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.save_milestone("Demo", NOW, (0,))
    await service.sweep()
    clock.now += timedelta(seconds=2)
    await service.save_milestone("Demo", NOW, (0,), "now with a description")
    await service.sweep()
    assert len(discord.posts) == 1
    await service.save_milestone("Demo", NOW + timedelta(hours=1), (0,))  # moved: a new one
    clock.now = NOW + timedelta(hours=1)
    await service.sweep()
    assert len(discord.posts) == 2


async def pending_offsets(database: Database) -> list[int]:
    async with database.session() as session:
        rows = (await session.exec(select(ReminderRow))).all()
    return sorted(
        row.offset_seconds for row in rows if row.status in (Delivery.PENDING, Delivery.SENT)
    )


async def dm_statuses(database: Database) -> list[str]:
    async with database.session() as session:
        return [row.status for row in (await session.exec(select(DirectDeliveryRow))).all()]


async def test_failed_dm_copy_is_retried_until_it_is_sent_once(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.subscribe(7)
    discord.dm_failures = [DeliveryError("500 Internal Server Error", retryable=True)] * 5
    await service.save_milestone("Deadline", NOW, (0,))
    await service.sweep()
    assert discord.dms == [] and await dm_statuses(database) == [Delivery.RETRY]
    for _ in range(6):
        clock.now += timedelta(minutes=5)
        await service.sweep()
    assert [user for user, _ in discord.dms] == [7]  # sent once, after five failures
    assert await dm_statuses(database) == [Delivery.SENT] and len(discord.posts) == 1


async def test_dm_copy_gives_up_after_the_last_attempt(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.subscribe(7)
    discord.dm_failures = [DeliveryError("503", retryable=True)] * 10
    await service.save_milestone("Deadline", NOW, (0,))
    for _ in range(10):
        await service.sweep()
        clock.now += timedelta(minutes=5)
    assert discord.dms == [] and await dm_statuses(database) == [Delivery.FAILED]
    assert len(discord.dm_failures) == 10 - 6  # MAX_ATTEMPTS tries, then no more


async def test_dm_copy_claimed_by_a_crashed_process_is_sent_later(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.subscribe(7)
    await service.save_milestone("Deadline", NOW, (0,))
    discord.crash_in_dm = True
    with pytest.raises(asyncio.CancelledError):
        await service.sweep()
    assert await dm_statuses(database) == [Delivery.CLAIMED]
    discord.crash_in_dm = False
    await service.sweep()  # the claim is fresh: another process may still be sending it
    assert discord.dms == []
    clock.now += timedelta(minutes=2)
    await service.sweep()
    assert [user for user, _ in discord.dms] == [7] and await dm_statuses(database) == [
        Delivery.SENT
    ]


def stepped_service(database: Database, clock: Clock, jobs: Jobs) -> ReminderService:
    """A service whose jobs run when the test steps `clock` and calls `jobs.run_due()`."""
    return ReminderService(
        database,
        channel_id=42,
        grace=timedelta(hours=6),
        default_offsets=(0,),
        clock=clock,
        jobs=jobs,
    )


async def test_reminders_run_when_the_clock_reaches_them(database: Database) -> None:
    """The runtime posts a reminder when its time comes, and not before; a retry after a
    failure is scheduled on the same clock."""
    clock = Clock()
    jobs = Jobs(clock)
    discord = FakeDiscord()
    service = stepped_service(database, clock, jobs)
    await service.start(discord)
    try:
        await service.save_milestone("Soon", NOW + timedelta(hours=1), (0,))
        clock.now += timedelta(minutes=59)
        await jobs.run_due()
        assert discord.posts == []
        discord.failures.append(DeliveryError("Discord is down", retryable=True))
        reminder_id = await only_pending_id(database)
        clock.now += timedelta(minutes=1)
        await jobs.run_due()
        assert discord.posts == [] and jobs.due_at(f"reminders:reminder-{reminder_id}")
        clock.now += timedelta(minutes=1)
        await jobs.run_due()
        assert len(discord.posts) == 1 and await statuses(database) == {0: Delivery.SENT}
    finally:
        await service.stop()
    assert not service.running


class SlowDiscord(FakeDiscord):
    """Takes its time to post, like Discord under load."""

    def __init__(self) -> None:
        super().__init__()
        self.posting = asyncio.Event()

    async def post(self, channel_id: int, content: str, nonce: str) -> int:
        self.posting.set()
        await asyncio.sleep(0.5)
        return await super().post(channel_id, content, nonce)


async def test_stop_waits_for_the_delivery_in_flight(database: Database) -> None:
    """A stop while a reminder is being posted lets the post finish and be recorded before
    the database closes; nothing is left claimed for a replica to recover."""
    clock = Clock()
    jobs = Jobs(clock)
    discord = SlowDiscord()
    service = stepped_service(database, clock, jobs)
    await service.start(discord)
    await service.save_milestone("Soon", NOW + timedelta(minutes=1), (0,))
    clock.now += timedelta(minutes=1)
    running = asyncio.create_task(jobs.run_due())
    await asyncio.wait_for(discord.posting.wait(), 5)
    await service.stop()
    assert jobs.in_progress() == 0 and len(discord.posts) == 1
    await running
    assert await statuses(database) == {0: Delivery.SENT}


async def test_bad_names_are_refused(database: Database) -> None:
    service = make_service(database, Clock())
    with pytest.raises(UserError):
        await service.save_milestone("   ", NOW)
    with pytest.raises(UserError):
        await service.save_milestone("x", NOW, description="y" * 1001)


def test_reminder_text_uses_discord_timestamps() -> None:
    text = reminder_text("Deadline", "Submit it.", NOW, 86400)
    unix = int(NOW.timestamp())
    assert f"<t:{unix}:F>" in text and f"<t:{unix}:R>" in text and "Submit it." in text
    assert "due now" in reminder_text("Deadline", "", NOW, 0)


async def test_database_unreachable_mid_delivery_loses_and_doubles_nothing(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.save_milestone("Deadline", NOW, (0,))
    real_mark_sent = service._mark_sent

    async def database_down(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("UPDATE reminder", {}, ConnectionError("database unreachable"))

    monkeypatch.setattr(service, "_mark_sent", database_down)
    with pytest.raises(OperationalError):
        await service.sweep()  # posted, but the bookkeeping could not be written
    assert len(discord.posts) == 1
    monkeypatch.setattr(service, "_mark_sent", real_mark_sent)
    await service.sweep()  # the database is back; the claim is not stale yet
    clock.now += timedelta(minutes=2)
    await service.sweep()  # recovered: found in the channel, not posted again
    assert len(discord.posts) == 1 and await statuses(database) == {0: Delivery.SENT}


async def test_done_stops_dm_copies_and_the_channel_counts_done_marks(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.subscribe(7)
    await service.subscribe(8)
    await service.save_milestone("Deadline", NOW + timedelta(days=1), (86400, 0))
    await service.sweep()
    first = await service_reminder_ids(database)
    assert sorted(user for user, _ in discord.dms) == [7, 8]
    assert await service.mark_done(first[0], 7) == "Deadline"
    assert await service.mark_done(first[0], 7) == "Deadline"  # a second click is harmless
    clock.now += timedelta(days=1)
    await service.sweep()
    assert sorted(user for user, _ in discord.dms) == [7, 8, 8]
    assert "✅ 1 learner marked it done." in discord.posts[-1][1]
    assert "✅" not in discord.posts[0][1]
    assert await service.done_marks(7) != frozenset() and await service.done_marks(8) == set()


async def test_snooze_sends_one_more_copy_a_day_later_once(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.subscribe(7)
    await service.save_milestone("Deadline", NOW + timedelta(days=3), (86400 * 2,))
    clock.now += timedelta(days=1)
    await service.sweep()
    (reminder_id,) = await service_reminder_ids(database)
    due = await service.snooze(reminder_id, 7)
    assert due == clock.now + timedelta(days=1)
    with pytest.raises(UserError, match="already snoozed"):
        await service.snooze(reminder_id, 7)
    clock.now += timedelta(hours=23)
    await service.sweep()
    assert len(discord.dms) == 1
    clock.now += timedelta(hours=1)
    await asyncio.gather(service.sweep(), service.sweep())  # two replicas' sweeps at once
    await service.sweep()
    assert len(discord.dms) == 2 and discord.dms[1][1].startswith("😴 Snoozed reminder:")


async def test_done_cancels_a_snooze_and_cannot_be_snoozed(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make_service(database, clock)
    service.poster = discord
    await service.subscribe(7)
    await service.save_milestone("Deadline", NOW + timedelta(days=3), (86400 * 2,))
    clock.now += timedelta(days=1)
    await service.sweep()
    (reminder_id,) = await service_reminder_ids(database)
    await service.snooze(reminder_id, 7)
    await service.mark_done(reminder_id, 7)
    clock.now += timedelta(days=1)
    await service.sweep()
    assert len(discord.dms) == 1
    with pytest.raises(UserError, match="marked \\*\\*Deadline\\*\\* done"):
        await service.snooze(reminder_id, 7)
    await service.remove_milestone("Deadline")
    with pytest.raises(UserError, match="no longer exists"):
        await service.mark_done(reminder_id, 8)


async def service_reminder_ids(database: Database) -> list[int]:
    """The sent reminders' ids, in due order."""
    async with database.session() as session:
        rows = (
            await session.exec(
                select(ReminderRow)
                .where(ReminderRow.status == Delivery.SENT)
                .order_by(col(ReminderRow.due_at))
            )
        ).all()
    return [row.id or 0 for row in rows]
