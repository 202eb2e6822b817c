"""Milestones and reminder delivery: never lost, never doubled, even across crashes.

The database is the source of truth. APScheduler only holds in-memory jobs derived from the
pending ledger rows (at start and on every change), plus a sweep that catches anything due.
Delivery claims the ledger row with a conditional UPDATE that only one process can win, posts
with a nonce derived from the row and its target (`bot.nonces`: Discord drops a repeat for a
few minutes), then marks the row sent and, in the same transaction, queues its DM copies. Any
later attempt (after an error, which may come after Discord made the message, or after a crash
left the claim behind) first looks for the post in the channel, and posts only if it is not
there (with the same nonce).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.db.models import (
    AuditRow,
    Delivery,
    DirectDeliveryRow,
    DoneRow,
    EventStatus,
    MilestoneRow,
    ReminderRow,
    SnoozeRow,
    SubscriptionRow,
    milestone_key,
    utcnow,
)
from bot.errors import DeliveryError, UserError
from bot.jobs import Jobs
from bot.ledger import STALE_CLAIM, Ledger
from bot.nonces import Nonces
from bot.reminders.timeline import PlannedMilestone, Timeline, plan_cohort

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0  # seconds a stopping service waits for deliveries in flight
CLOCK_SKEW = timedelta(minutes=1)  # between this machine's clock and Discord's snowflakes
SWEEP_SECONDS = 30
JOBS = "reminders:"  # the prefix of this service's job keys
POSTS = Ledger(ReminderRow, ReminderRow.status, ReminderRow.claimed_at, ReminderRow.claim_token)
"""Reminder posts to the announcements channel."""
DM_COPIES = Ledger(DirectDeliveryRow, DirectDeliveryRow.status, DirectDeliveryRow.claimed_at)
"""Copies of reminder posts sent to subscribers by DM."""
SNOOZES = Ledger(SnoozeRow, SnoozeRow.status, SnoozeRow.claimed_at)
"""The one more DM copy a member asked for with Snooze."""
SNOOZE_FOR = timedelta(days=1)
MAX_ATTEMPTS = 6
SAVE_ATTEMPTS = 5  # concurrent saves of one milestone: each retry sees the others' commits
MAX_DESCRIPTION = 1000
COPY_ROWS_PER_INSERT = 1000  # within SQLite's limit of variables per statement
UPCOMING_CACHE_SECONDS = 10  # another replica's change shows in /deadlines within this
JUST_NOW = timedelta(seconds=5)  # a reminder due this recently at creation still posts


class Poster(Protocol):
    """How reminders reach Discord (implemented in the cog with discord.py)."""

    async def post(self, channel_id: int, content: str, nonce: str) -> int:
        """Post `content` with `nonce`; return the message id or raise DeliveryError."""

    async def find_since(
        self, channel_id: int, content: str, since: datetime, exclude: frozenset[int]
    ) -> int | None:
        """The id of a bot message with the first line of `content` posted after `since`, if
        any, that is not one of `exclude` (every message since then is looked at, however busy
        the channel was; later lines may have changed since, such as the count of done
        marks)."""

    async def direct(
        self, user_id: int, content: str, nonce: str, reminder_id: int | None = None
    ) -> bool:
        """DM a member (a copy of reminder `reminder_id` comes with Done and Snooze buttons);
        False when their DMs are closed."""

    async def alert(self, text: str) -> None:
        """Tell the moderators about a problem they must fix (the mod-log); never raises."""


@dataclass(frozen=True)
class MilestoneInfo:
    """A milestone as commands show it."""

    id: int
    name: str
    description: str
    due_at: datetime
    offsets: tuple[int, ...]
    pending: tuple[datetime, ...]
    cohort: str | None = None  # the cohort it was created for (`/milestone cohort start`)


def reminder_text(
    name: str, description: str, due_at: datetime, offset_seconds: int, done: int = 0
) -> str:
    """The post: names the milestone and its due time as Discord timestamps, and how many
    learners marked it done once one has (no names). The first line alone tells one
    reminder's post from another's (`Poster.find_since` compares it)."""
    unix = int(due_at.timestamp())
    if offset_seconds == 0:
        head = f"🚨 **{name}** is due now (<t:{unix}:F>)."
    else:
        head = f"⏰ Reminder: **{name}** is due <t:{unix}:F> (<t:{unix}:R>)."
    marked = ""
    if done:
        marked = f"\n✅ {done} learner{'s' if done != 1 else ''} marked it done."
    return f"{head}\n{description}".strip()[: 2000 - len(marked)] + marked


MAX_BACKOFF = timedelta(minutes=5)


def backoff(attempt: int) -> timedelta:
    """Wait before retry `attempt` (1-based): 5 s, 10 s, 20 s, ... at most 5 minutes."""
    return min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** min(attempt - 1, 16)))


class ReminderService:
    """Milestone commands and reminder delivery. No discord imports."""

    def __init__(
        self,
        database: Database,
        *,
        channel_id: int | None,
        grace: timedelta,
        default_offsets: tuple[int, ...],
        timeline: Timeline | None = None,
        clock: Callable[[], datetime] = utcnow,
        jobs: Jobs | None = None,
    ) -> None:
        self.database = database
        self.nonces = Nonces(database)
        self.channel_id = channel_id
        self.grace = grace
        self.default_offsets = default_offsets
        self.timeline = timeline
        self.clock = clock
        self.poster: Poster | None = None
        self.jobs = jobs or Jobs(clock)  # the bot's runtime for background work
        self.stats = {Delivery.SENT: 0, Delivery.SKIPPED: 0, Delivery.FAILED: 0}
        self._upcoming: tuple[float, list[MilestoneInfo]] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self, poster: Poster) -> None:
        """Start delivering: recover crashed claims, catch up, schedule what is pending."""
        self.poster = poster
        if self.channel_id is None:
            log.warning("NEXUS_ANNOUNCE_CHANNEL_ID is not set: reminders will not be posted")
            return
        self.jobs.start()
        self.jobs.every(f"{JOBS}sweep", SWEEP_SECONDS, self.sweep)
        await self.sweep(startup=True)
        await self.schedule_pending()

    async def stop(self) -> None:
        """Stop scheduling, then let the deliveries in flight finish (within a limit)."""
        await self.jobs.stop_group(JOBS, STOP_TIMEOUT)

    @property
    def running(self) -> bool:
        """Whether reminders are being scheduled (between `start` and `stop`)."""
        return self.jobs.running and self.jobs.due_at(f"{JOBS}sweep") is not None

    # ------------------------------------------------------------------ milestones
    async def save_milestone(
        self,
        name: str,
        due_at: datetime,
        offsets: tuple[int, ...] | None = None,
        description: str = "",
        *,
        actor_id: int | None = None,
        cohort: str | None = None,
    ) -> tuple[MilestoneInfo, bool]:
        """Create a milestone, or update the one with that name; returns (info, created)."""
        name = " ".join(name.split())
        if not 1 <= len(name) <= 100:
            raise UserError("The milestone name must be 1-100 characters.")
        if len(description) > MAX_DESCRIPTION:
            raise UserError(f"The description can be at most {MAX_DESCRIPTION} characters.")
        offsets = offsets or self.default_offsets
        due_at = due_at.astimezone(UTC)
        for attempt in range(SAVE_ATTEMPTS):
            try:
                milestone_id, created = await self._save(
                    name, due_at, offsets, description, actor_id, cohort
                )
                break
            except IntegrityError:  # someone saved the same name at the same moment: again
                if attempt == SAVE_ATTEMPTS - 1:
                    raise
        self._upcoming = None
        await self.schedule_pending(milestone_id)
        info = await self.get(milestone_id)
        assert info is not None
        return info, created

    async def _save(
        self,
        name: str,
        due_at: datetime,
        offsets: tuple[int, ...],
        description: str,
        actor_id: int | None,
        cohort: str | None,
    ) -> tuple[int, bool]:
        """Insert or update the live milestone called `name` and its pending reminders. A
        concurrent save of the same name fails here (IntegrityError) on the unique live name or
        the unique pending reminder per offset, and is tried again."""
        async with self.database.session() as session:
            row = await self._active(session, name)
            created = row is None
            if row is None:
                row = MilestoneRow(
                    name=name,
                    name_key=milestone_key(name),
                    due_at=due_at,
                    offsets=list(offsets),
                    description=description,
                    created_by=actor_id,
                    cohort=cohort,
                )
                session.add(row)
                await session.flush()
            else:
                row.name, row.due_at, row.offsets = name, due_at, list(offsets)
                row.description, row.updated_at = description, utcnow()
                row.event_status, row.event_claim_token = (
                    EventStatus.PENDING,
                    None,
                )  # event: sync again
                await self._cancel_pending(session, row.id)
            assert row.id is not None
            now = self.clock()
            done = set(
                (
                    await session.exec(
                        select(ReminderRow.offset_seconds, ReminderRow.due_at).where(
                            ReminderRow.milestone_id == row.id,
                            col(ReminderRow.status).in_(
                                (Delivery.CLAIMED, Delivery.SENT, Delivery.FAILED)
                            ),
                        )
                    )
                ).all()
            )
            for offset in offsets:
                at = due_at - timedelta(seconds=offset)
                if (offset, at) in done:
                    continue  # this very reminder went out (or is going out) already
                past = at < now - JUST_NOW
                session.add(
                    ReminderRow(
                        milestone_id=row.id,
                        offset_seconds=offset,
                        due_at=at,
                        status=Delivery.SKIPPED if past else Delivery.PENDING,
                        note="already past when the milestone was saved" if past else "",
                    )
                )
            session.add(
                AuditRow(
                    actor_id=actor_id,
                    action="milestone.save",
                    target=name[:100],
                    detail=f"due {due_at.isoformat()} offsets {list(offsets)}",
                )
            )
            milestone_id = row.id
        return milestone_id, created

    async def remove_milestone(
        self, name: str, *, actor_id: int | None = None
    ) -> MilestoneInfo | None:
        """Remove (soft delete) the milestone called `name` (case and spacing do not count)
        and cancel its pending reminders; what was removed, or None when there is none."""
        async with self.database.session() as session:
            row = await self._active(session, name)
            if row is None:
                return None
            removed = MilestoneInfo(
                row.id or 0, row.name, row.description, row.due_at, tuple(row.offsets), ()
            )
            row.deleted, row.updated_at = True, utcnow()
            row.event_status, row.event_claim_token = EventStatus.PENDING, None  # event: delete it
            cancelled = await self._cancel_pending(session, row.id)
            session.add(
                AuditRow(
                    actor_id=actor_id,
                    action="milestone.remove",
                    target=name[:100],
                    detail=f"cancelled {len(cancelled)} pending reminder(s)",
                )
            )
        for reminder_id in cancelled:
            self._unschedule(reminder_id)
        self._upcoming = None
        return removed

    @staticmethod
    async def _active(session: AsyncSession, name: str) -> MilestoneRow | None:
        """The milestone called `name` (whatever the case and spacing) that is not removed."""
        query = select(MilestoneRow).where(
            MilestoneRow.name_key == milestone_key(name), col(MilestoneRow.deleted).is_(False)
        )
        return (await session.exec(query)).first()

    async def _cancel_pending(self, session: AsyncSession, milestone_id: int | None) -> list[int]:
        rows = (
            await session.exec(
                select(ReminderRow).where(
                    ReminderRow.milestone_id == milestone_id, ReminderRow.status == Delivery.PENDING
                )
            )
        ).all()
        for row in rows:
            row.status, row.note = Delivery.CANCELLED, "milestone changed or removed"
            self._unschedule(row.id or 0)
        return [row.id or 0 for row in rows]

    async def get(self, milestone_id: int) -> MilestoneInfo | None:
        """One milestone with its pending reminder times."""
        found = await self._infos(col(MilestoneRow.id) == milestone_id)
        return found[0] if found else None

    async def upcoming(self, limit: int = 10) -> list[MilestoneInfo]:
        """Milestones not yet due, soonest first (cached briefly: /deadlines is a hot path)."""
        now = self.clock()
        cached = self._upcoming
        if cached is None or time.monotonic() - cached[0] > UPCOMING_CACHE_SECONDS:
            cached = (time.monotonic(), await self._infos(col(MilestoneRow.due_at) >= now))
            self._upcoming = cached
        return [info for info in cached[1] if info.due_at >= now][:limit]

    async def all_milestones(self) -> list[MilestoneInfo]:
        """Every active milestone, in due order."""
        return await self._infos()

    async def _infos(self, *conditions: ColumnElement[bool]) -> list[MilestoneInfo]:
        async with self.database.session() as session:
            rows = (
                await session.exec(
                    select(MilestoneRow)
                    .where(MilestoneRow.deleted == False, *conditions)  # noqa: E712
                    .order_by(col(MilestoneRow.due_at))
                )
            ).all()
            ids = [row.id for row in rows]
            pending = (
                (
                    await session.exec(
                        select(ReminderRow)
                        .where(
                            col(ReminderRow.milestone_id).in_(ids),
                            ReminderRow.status == Delivery.PENDING,
                        )
                        .order_by(col(ReminderRow.due_at))
                    )
                ).all()
                if ids
                else []
            )
        return [
            MilestoneInfo(
                row.id or 0,
                row.name,
                row.description,
                row.due_at,
                tuple(row.offsets),
                tuple(r.due_at for r in pending if r.milestone_id == row.id),
                row.cohort,
            )
            for row in rows
        ]

    async def calendar(self, cohort: str | None = None) -> list[MilestoneInfo]:
        """Every active milestone (of one cohort), past ones included, for calendar feeds."""
        if cohort is None:
            return await self._infos()
        return await self._infos(col(MilestoneRow.cohort) == cohort)

    async def names(self, text: str = "", limit: int = 25) -> list[str]:
        """Active milestone names containing `text`, for autocomplete."""
        needle = text.casefold().strip()
        return [m.name for m in await self.all_milestones() if needle in m.name.casefold()][:limit]

    def plan(self, start: date) -> list[PlannedMilestone]:
        """What a cohort starting on `start` would get (nothing is saved)."""
        if self.timeline is None:
            raise UserError("No timeline file is configured (content/timeline.yaml).")
        return plan_cohort(self.timeline, start)

    async def create_cohort(
        self, start: date, *, actor_id: int | None = None
    ) -> list[MilestoneInfo]:
        """Create every milestone of the template for a cohort starting on `start`."""
        created = []
        for planned in self.plan(start):
            info, _ = await self.save_milestone(
                planned.name,
                planned.due_at,
                planned.offsets,
                planned.description,
                actor_id=actor_id,
                cohort=start.isoformat(),
            )
            created.append(info)
        return created

    # ------------------------------------------------------------------ subscriptions
    async def subscribe(self, user_id: int) -> bool:
        """Ask for DM copies; False when already subscribed."""
        try:
            async with self.database.session() as session:
                session.add(SubscriptionRow(user_id=user_id))
        except IntegrityError:
            return False
        return True

    async def unsubscribe(self, user_id: int) -> bool:
        """Stop DM copies; False when not subscribed."""
        async with self.database.session() as session:
            row = await session.get(SubscriptionRow, user_id)
            if row is None:
                return False
            await session.delete(row)
        return True

    # ------------------------------------------------------------------ scheduling
    async def schedule_pending(self, milestone_id: int | None = None) -> None:
        """Derive in-memory jobs from pending ledger rows (all, or one milestone's)."""
        if not self.running:
            return
        query = select(ReminderRow).where(ReminderRow.status == Delivery.PENDING)
        if milestone_id is not None:
            query = query.where(ReminderRow.milestone_id == milestone_id)
        async with self.database.session() as session:
            rows = (await session.exec(query)).all()
        for row in rows:
            self._schedule(row.id or 0, max(row.retry_at or row.due_at, row.due_at))

    def _schedule(self, reminder_id: int, run_at: datetime) -> None:
        """One in-memory job per pending reminder (a past time runs at once)."""
        self.jobs.at(
            f"{JOBS}reminder-{reminder_id}", run_at, functools.partial(self.deliver, reminder_id)
        )

    def _unschedule(self, reminder_id: int) -> None:
        self.jobs.cancel(f"{JOBS}reminder-{reminder_id}")

    async def sweep(self, *, startup: bool = False) -> None:
        """Catch anything due: recover stale claims, post or skip overdue pending reminders."""
        now = self.clock()
        held_for = timedelta(0) if startup and self.database.is_sqlite else STALE_CLAIM
        async with self.database.session() as session:
            stale = (
                await session.exec(select(ReminderRow).where(POSTS.stale(now, held_for)))
            ).all()
            due = (
                await session.exec(
                    select(ReminderRow).where(
                        ReminderRow.status == Delivery.PENDING,
                        ReminderRow.due_at <= now,
                        or_(col(ReminderRow.retry_at).is_(None), col(ReminderRow.retry_at) <= now),
                    )
                )
            ).all()
        for row in stale:
            await self.recover(row.id or 0, row.claim_token)
        for row in due:
            await self.deliver(row.id or 0)
        if self.poster is not None:
            await self._retry_copies(now)
            await self._send_snoozes(now)

    # ------------------------------------------------------------------ delivery
    async def _claim(
        self, reminder_id: int, condition: ColumnElement[bool], now: datetime
    ) -> str | None:
        return await POSTS.claim(
            self.database, reminder_id, condition, now, attempts=ReminderRow.attempts + 1
        )

    async def deliver(self, reminder_id: int) -> None:
        """Post one reminder if it is still pending and due; at most once, whoever calls."""
        now = self.clock()
        async with self.database.session() as session:
            row = await session.get(ReminderRow, reminder_id)
        if row is None or row.status != Delivery.PENDING or row.due_at > now + timedelta(seconds=1):
            return
        if now - row.due_at > self.grace:
            await self._finish(
                reminder_id,
                None,
                status=Delivery.SKIPPED,
                note=f"{(now - row.due_at)} late, beyond the grace window",
            )
            self.stats[Delivery.SKIPPED] += 1
            log.info("reminder %s skipped: too late", reminder_id)
            return
        condition = and_(
            col(ReminderRow.status) == Delivery.PENDING,
            or_(
                col(ReminderRow.retry_at).is_(None),
                col(ReminderRow.retry_at) <= now + timedelta(seconds=1),
            ),
        )
        token = await self._claim(reminder_id, condition, now)
        if token is not None:
            await self._post(reminder_id, token)

    async def recover(self, reminder_id: int, old_token: str | None) -> None:
        """Finish a claim a crashed process left behind, without posting twice: the post it
        may have made is looked for first (`_post`, on any attempt after the first)."""
        token = await self._claim(
            reminder_id,
            and_(
                col(ReminderRow.status) == Delivery.CLAIMED,
                col(ReminderRow.claim_token) == old_token,
            ),
            self.clock(),
        )
        if token is not None:
            log.warning("recovering reminder %s left claimed by a crashed process", reminder_id)
            await self._post(reminder_id, token)

    async def _post(self, reminder_id: int, token: str) -> None:
        """Post a claimed reminder, then record it and the DM copies it owes. A later attempt
        (after an error or a crash: Discord may have made the message and still failed, and
        keeps a nonce only minutes) first looks for the post in the channel since it fell due."""
        assert self.poster is not None and self.channel_id is not None
        async with self.database.session() as session:
            row = await session.get(ReminderRow, reminder_id)
            assert row is not None
            milestone = await session.get(MilestoneRow, row.milestone_id)
        if milestone is None or milestone.deleted:
            await self._finish(
                reminder_id, token, status=Delivery.CANCELLED, note="milestone removed"
            )
            return
        if milestone.due_at - timedelta(seconds=row.offset_seconds) != row.due_at:
            await self._finish(  # a moderator moved it while this one was claimed
                reminder_id, token, status=Delivery.CANCELLED, note="milestone moved"
            )
            return
        content = reminder_text(
            milestone.name,
            milestone.description,
            milestone.due_at,
            row.offset_seconds,
            await self._done_count(row.milestone_id),
        )
        try:
            message_id = None
            if row.attempts > 1:
                since = row.due_at - CLOCK_SKEW
                others = await self._other_posts(row)  # same first line: not this one's
                message_id = await self.poster.find_since(self.channel_id, content, since, others)
            if message_id is None:
                message_id = await self.poster.post(
                    self.channel_id,
                    content,
                    nonce=await self.nonces("reminder", reminder_id, self.channel_id),
                )
        except DeliveryError as error:
            await self._failed(row, token, error)
            return
        if not await self._mark_sent(row, token, message_id):
            return  # another process took the claim over: the copies are its
        self.stats[Delivery.SENT] += 1
        log.info("reminder %s posted as message %s", reminder_id, message_id)
        await self._direct_copies(reminder_id, content)

    async def _other_posts(self, row: ReminderRow) -> frozenset[int]:
        """The messages the milestone's other reminders were posted as (every reminder before
        the due time opens with the same line)."""
        async with self.database.session() as session:
            ids = await session.exec(
                select(ReminderRow.message_id).where(
                    ReminderRow.milestone_id == row.milestone_id,
                    ReminderRow.id != row.id,
                    col(ReminderRow.message_id).is_not(None),
                )
            )
            return frozenset(message_id for message_id in ids if message_id is not None)

    async def _failed(self, row: ReminderRow, token: str, error: DeliveryError) -> None:
        """Retry with backoff while the reminder can still be posted in its grace window;
        an error the moderators must fix (missing access) also alerts them, once."""
        retry_at = self.clock() + (backoff(row.attempts) if error.retryable else MAX_BACKOFF)
        if retry_at <= row.due_at + self.grace:
            if not error.retryable and row.note != str(error)[:200]:
                assert self.poster is not None
                await self.poster.alert(
                    f"⚠️ A reminder could not be posted in <#{self.channel_id}>: {error}. "
                    "Check the bot's permissions there; it will keep trying until "
                    f"<t:{int((row.due_at + self.grace).timestamp())}:t>."
                )
            try:
                await POSTS.finish(
                    self.database,
                    row.id or 0,
                    POSTS.held(token),
                    status=Delivery.PENDING,
                    claim_token=None,
                    retry_at=retry_at,
                    note=str(error)[:200],
                )
            except IntegrityError:  # the milestone was saved meanwhile: its new reminder waits
                await self._finish(
                    row.id or 0, token, status=Delivery.CANCELLED, note="milestone changed"
                )
                return
            log.warning("reminder %s failed (%s); retrying at %s", row.id, error, retry_at)
            if self.running:
                self._schedule(row.id or 0, retry_at)
            return
        await self._finish(row.id or 0, token, status=Delivery.FAILED, note=str(error)[:200])
        self.stats[Delivery.FAILED] += 1
        log.error("reminder %s failed for good: %s", row.id, error)

    async def _finish(
        self,
        reminder_id: int,
        token: str | None,
        *,
        status: Delivery,
        note: str = "",
    ) -> None:
        """Record how a reminder ended without a post (skipped, cancelled, failed), while this
        process holds its claim (`token`) or, without one, while it is pending."""
        condition = POSTS.held(token) if token else col(ReminderRow.status) == Delivery.PENDING
        await POSTS.finish(self.database, reminder_id, condition, status=status, note=note[:200])

    async def _mark_sent(self, row: ReminderRow, token: str, message_id: int) -> bool:
        """Record the post and, in the same transaction, one waiting DM copy per subscriber who
        has not marked the milestone done (unique per reminder and member), so a crash after
        the post loses no copy: the sweep sends what still waits. False when another process
        took the claim over."""
        now = self.clock()
        async with self.database.session() as session:
            marked = await session.exec(
                update(ReminderRow)
                .where(and_(col(ReminderRow.id) == row.id, POSTS.held(token)))
                .values(status=Delivery.SENT, note="", sent_at=now, message_id=message_id)
            )
            if marked.rowcount != 1:
                return False
            done = select(DoneRow.user_id).where(DoneRow.milestone_id == row.milestone_id)
            subscribers = (
                await session.exec(
                    select(SubscriptionRow.user_id).where(col(SubscriptionRow.user_id).not_in(done))
                )
            ).all()
            for start in range(0, len(subscribers), COPY_ROWS_PER_INSERT):
                await session.exec(
                    self.database.insert(DirectDeliveryRow)
                    .values(
                        [
                            {
                                "reminder_id": row.id,
                                "user_id": user_id,
                                "status": Delivery.RETRY,
                                "attempts": 0,
                                "retry_at": now,
                                "created_at": now,
                            }
                            for user_id in subscribers[start : start + COPY_ROWS_PER_INSERT]
                        ]
                    )
                    .on_conflict_do_nothing()
                )
        return True

    async def _direct_copies(self, reminder_id: int, content: str) -> None:
        """Send the DM copies of a reminder just posted; each is claimed first, so a sweep on
        another replica sending them meanwhile sends each once."""
        now = self.clock()
        waiting = and_(
            col(DirectDeliveryRow.reminder_id) == reminder_id,
            col(DirectDeliveryRow.status) == Delivery.RETRY,
            col(DirectDeliveryRow.attempts) == 0,
        )
        async with self.database.session() as session:
            copies = (await session.exec(select(DirectDeliveryRow).where(waiting))).all()
        for copy in copies:
            if await DM_COPIES.claim(self.database, copy.id or 0, waiting, now) is not None:
                await self._send_copy(reminder_id, copy.user_id, content, attempts=0)

    async def _send_copy(self, reminder_id: int, user_id: int, content: str, attempts: int) -> None:
        """DM one claimed copy; mark it sent only once Discord took it, else retry later."""
        assert self.poster is not None
        try:
            delivered = await self.poster.direct(
                user_id,
                content,
                nonce=await self.nonces("reminder-dm", reminder_id, user_id),
                reminder_id=reminder_id,
            )
        except DeliveryError as error:
            attempts += 1
            if error.retryable and attempts < MAX_ATTEMPTS:
                retry_at = self.clock() + backoff(attempts)
                log.warning(
                    "DM copy of reminder %s to %s failed (%s); retrying at %s",
                    reminder_id,
                    user_id,
                    error,
                    retry_at,
                )
                await self._set_copy(
                    reminder_id,
                    user_id,
                    status=Delivery.RETRY,
                    attempts=attempts,
                    retry_at=retry_at,
                )
            else:
                log.error("DM copy of reminder %s to %s failed: %s", reminder_id, user_id, error)
                await self._set_copy(
                    reminder_id, user_id, status=Delivery.FAILED, attempts=attempts
                )
            return
        if not delivered:
            log.info("DMs of %s are closed: unsubscribing them", user_id)
            await self.unsubscribe(user_id)
            await self._set_copy(reminder_id, user_id, status=Delivery.CLOSED)
            return
        await self._set_copy(reminder_id, user_id, status=Delivery.SENT)

    async def _set_copy(self, reminder_id: int, user_id: int, **values: object) -> None:
        async with self.database.session() as session:
            await session.exec(
                update(DirectDeliveryRow)
                .where(
                    and_(
                        col(DirectDeliveryRow.reminder_id) == reminder_id,
                        col(DirectDeliveryRow.user_id) == user_id,
                    )
                )
                .values(**values)
            )

    async def _retry_copies(self, now: datetime) -> None:
        """Send again the DM copies that failed (when their backoff is over) or whose sender
        died holding the claim; each is claimed first, so one process sends it."""
        waiting = or_(
            and_(
                col(DirectDeliveryRow.status) == Delivery.RETRY,
                col(DirectDeliveryRow.retry_at) <= now,
            ),
            DM_COPIES.stale(now),
        )
        async with self.database.session() as session:
            copies = (await session.exec(select(DirectDeliveryRow).where(waiting))).all()
        for copy in copies:
            if await DM_COPIES.claim(self.database, copy.id or 0, waiting, now) is None:
                continue
            async with self.database.session() as session:
                reminder = await session.get(ReminderRow, copy.reminder_id)
                milestone = (
                    await session.get(MilestoneRow, reminder.milestone_id) if reminder else None
                )
            if (
                milestone is None
                or milestone.deleted
                or reminder is None
                or await self._is_done(reminder.milestone_id, copy.user_id)
            ):
                await self._set_copy(copy.reminder_id, copy.user_id, status=Delivery.CANCELLED)
                continue
            content = reminder_text(
                milestone.name, milestone.description, milestone.due_at, reminder.offset_seconds
            )
            await self._send_copy(copy.reminder_id, copy.user_id, content, copy.attempts)

    # ------------------------------------------------------------------ Done and Snooze
    async def _reminder_milestone(self, reminder_id: int) -> tuple[ReminderRow, MilestoneRow]:
        async with self.database.session() as session:
            reminder = await session.get(ReminderRow, reminder_id)
            milestone = await session.get(MilestoneRow, reminder.milestone_id) if reminder else None
        if reminder is None or milestone is None or milestone.deleted:
            raise UserError("That milestone no longer exists.")
        return reminder, milestone

    async def _is_done(self, milestone_id: int, user_id: int) -> bool:
        async with self.database.session() as session:
            return await session.get(DoneRow, (milestone_id, user_id)) is not None

    async def _done_count(self, milestone_id: int) -> int:
        async with self.database.session() as session:
            query = select(func.count()).where(DoneRow.milestone_id == milestone_id)
            return int((await session.exec(query)).one())

    async def mark_done(self, reminder_id: int, user_id: int) -> str:
        """The member finished the milestone of reminder `reminder_id`: no more DM copies of
        it for them (a snoozed one is cancelled). Returns the milestone's name."""
        _, milestone = await self._reminder_milestone(reminder_id)
        try:
            async with self.database.session() as session:
                session.add(DoneRow(milestone_id=milestone.id or 0, user_id=user_id))
        except IntegrityError:
            pass  # marked done already (a second click, or another replica)
        reminders = select(ReminderRow.id).where(ReminderRow.milestone_id == milestone.id)
        async with self.database.session() as session:
            await session.exec(
                update(SnoozeRow)
                .where(
                    col(SnoozeRow.user_id) == user_id,
                    col(SnoozeRow.reminder_id).in_(reminders),
                    col(SnoozeRow.status) == Delivery.PENDING,
                )
                .values(status=Delivery.CANCELLED)
            )
        return milestone.name

    async def snooze(self, reminder_id: int, user_id: int) -> datetime:
        """One more DM copy of reminder `reminder_id` for the member, a day from now (once
        per reminder); when it will come."""
        _, milestone = await self._reminder_milestone(reminder_id)
        if await self._is_done(milestone.id or 0, user_id):
            raise UserError(f"You marked **{milestone.name}** done: nothing to snooze.")
        due = self.clock() + SNOOZE_FOR
        try:
            async with self.database.session() as session:
                session.add(SnoozeRow(reminder_id=reminder_id, user_id=user_id, due_at=due))
        except IntegrityError:
            raise UserError(
                "You already snoozed this reminder once; the next one comes as planned."
            ) from None
        return due

    async def done_marks(self, user_id: int) -> frozenset[int]:
        """The milestones the member marked done."""
        async with self.database.session() as session:
            rows = (
                await session.exec(select(DoneRow.milestone_id).where(DoneRow.user_id == user_id))
            ).all()
        return frozenset(rows)

    async def _send_snoozes(self, now: datetime) -> None:
        """Send the snoozed copies that are due, each claimed first (one process sends it)."""
        assert self.poster is not None
        due = and_(SNOOZES.open(Delivery.PENDING, now), col(SnoozeRow.due_at) <= now)
        async with self.database.session() as session:
            rows = (await session.exec(select(SnoozeRow).where(due))).all()
        for row in rows:
            if await SNOOZES.claim(self.database, row.id or 0, due, now) is None:
                continue
            try:
                reminder, milestone = await self._reminder_milestone(row.reminder_id)
            except UserError:
                await SNOOZES.finish(self.database, row.id or 0, status=Delivery.CANCELLED)
                continue
            if await self._is_done(milestone.id or 0, row.user_id):
                await SNOOZES.finish(self.database, row.id or 0, status=Delivery.CANCELLED)
                continue
            content = "😴 Snoozed reminder: " + reminder_text(
                milestone.name, milestone.description, milestone.due_at, reminder.offset_seconds
            )
            await self._send_snooze(row, content[:2000])

    async def _send_snooze(self, row: SnoozeRow, content: str) -> None:
        assert self.poster is not None
        try:
            delivered = await self.poster.direct(
                row.user_id,
                content,
                nonce=await self.nonces("snooze", row.id or 0, row.user_id, content),
                reminder_id=row.reminder_id,
            )
        except DeliveryError as error:
            attempts = row.attempts + 1
            if error.retryable and attempts < MAX_ATTEMPTS:
                await SNOOZES.finish(
                    self.database,
                    row.id or 0,
                    status=Delivery.PENDING,
                    attempts=attempts,
                    due_at=self.clock() + backoff(attempts),
                )
            else:
                log.error("snoozed copy %s failed: %s", row.id, error)
                await SNOOZES.finish(
                    self.database, row.id or 0, status=Delivery.FAILED, attempts=attempts
                )
            return
        status = Delivery.SENT if delivered else Delivery.CLOSED
        await SNOOZES.finish(self.database, row.id or 0, status=status)
