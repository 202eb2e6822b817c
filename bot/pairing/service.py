"""Pairing rounds: the pool in the database, optimal matching, introductions and check-ins.

A round is persisted (groups, memberships, unplaced learners) before anything is announced.
Announcing claims each group like reminders claim their ledger row, records the thread as soon
as it exists and posts the introduction with a nonce, so a crash resumes without doubling
threads. A unique index keeps every learner in at most one active group, and a scheduled
round's unique `slot` makes it run once even with several replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol, cast

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database, violates
from bot.db.models import (
    AuditRow,
    AvoidRow,
    CheckinAnswer,
    GroupRow,
    GroupStatus,
    LearnerRow,
    MembershipRow,
    NoticeRow,
    RoundRow,
    UnplacedRow,
    utcnow,
)
from bot.errors import DeliveryError, MemberLeft, UserError, quoted
from bot.jobs import Jobs
from bot.ledger import Ledger
from bot.nonces import Nonces
from bot.pairing.matching import REASON_BAD_TIMEZONE, match
from bot.pairing.model import Group, Learner, MatchResult, Role
from bot.pairing.schedule import last_occurrence
from bot.timezones import resolve_timezone, suggest_timezones

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60
JOBS = "pairing:"  # the prefix of this service's job keys
MAX_TAGS = 10
MAX_PAUSE_DAYS = 60
INTRODUCTIONS = Ledger(GroupRow, GroupRow.status, GroupRow.claimed_at, GroupRow.claim_token)
"""A group's thread and the introduction posted in it."""
CHECKINS = Ledger(GroupRow, GroupRow.checkin_status, GroupRow.checkin_claimed_at)
"""The check-in posted in a group's thread once it is due."""
UNPLACED_MESSAGE = (
    "No partner for you in this pairing round, sorry! You're first in line for the next one."
)
"""What every learner left out of a round is told, whatever the reason (privacy: never that
someone avoids them). The moderators' preview says why."""
BAD_TIMEZONE_MESSAGE = (
    "No partner for you in this pairing round: your saved time zone is no longer recognised. "
    "Set it again with `/pair join` and you'll be first in line for the next one."
)
"""The one exception: a reason that concerns only the learner's own profile, which they must fix."""
NOTICES = Ledger(NoticeRow, NoticeRow.status, NoticeRow.claimed_at)
"""The post that tells the pool a scheduled round is coming."""
NUDGES = Ledger(MembershipRow, MembershipRow.nudge_status, MembershipRow.nudge_claimed_at)
"""The one reminder a member who has not answered the check-in gets."""
GROUP_ENDED = (
    "A member of this group left before the introduction, so the group ends here. "
    "Everyone else is back in the pool for the next round."
)
NUDGE_AFTER = timedelta(hours=48)
NUDGE_RETRY_FOR = timedelta(minutes=4)
"""How long a nudge Discord failed to send is tried again: within the few minutes Discord
keeps its nonce, so a DM Discord made despite the error is never sent twice."""
ROUND_RAN = (
    "pairing_round_slot_key",  # PostgreSQL's names
    "uq_pairing_member_active_user",
    "pairing_round.slot",  # SQLite's
    "pairing_member.user_id",
)
"""Constraints whose violation means a round (or rematch) already ran, or ran concurrently."""
REPORT_AFTER = timedelta(hours=24)  # how long after the introduction a partner may be reported
REMATCH_SLOT = "re-"  # the slot of a one-group round that rematches a reporter
PAUSED_FOR_SILENCE = timedelta(days=MAX_PAUSE_DAYS)
PAUSED_MESSAGE = (
    "Your last two partners did not hear from you after their introductions, so you're "
    "paused from pairing for now. Whenever you're ready, `/pair join` puts you back in the pool."
)
STOP_TIMEOUT = 30.0  # seconds a stopping service waits for a sweep or round in flight


class PairingNotifier(Protocol):
    """How rounds reach Discord (implemented in the cog)."""

    async def find_thread(self, marker: str) -> int | None:
        """An existing thread whose name ends with `marker` (after a crash)."""

    async def create_thread(self, name: str) -> int:
        """A private thread under the announce channel."""

    async def add_member(self, thread_id: int, user_id: int) -> None:
        """Add a member to a thread (idempotent)."""

    async def introduce(self, thread_id: int, intro: Introduction, nonce: str) -> None:
        """Post the introduction in the thread."""

    async def post(self, thread_id: int, content: str) -> None:
        """Post a plain note in the thread (no pings)."""

    async def checkin(
        self, thread_id: int, group_id: int, member_ids: list[int], nonce: str
    ) -> None:
        """Post the check-in with its two buttons."""

    async def direct(self, user_id: int, content: str, nonce: str | None = None) -> bool:
        """DM a learner (posted once per `nonce`); False when DMs are closed."""

    async def notice(self, round_at: datetime, *, tried: bool) -> None:
        """Tell the pool about the round at `round_at` (with Skip / Update buttons); with
        `tried`, first look for the post an earlier attempt may have made."""


@dataclass(frozen=True)
class MemberIntro:
    """One member as the introduction names them."""

    user_id: int
    name: str
    role: str
    timezone: str
    stack: tuple[str, ...]
    project: str


@dataclass(frozen=True)
class Introduction:
    """What a group's introduction says."""

    group_id: int
    members: tuple[MemberIntro, ...]
    overlap_hours: float
    shared: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    """A learner's status."""

    learner: LearnerRow
    partners: tuple[tuple[int, str], ...]
    thread_id: int | None
    pool_frontend: int
    pool_backend: int
    next_round: datetime | None
    avoiding: tuple[int, ...] = ()  # the learner's own avoid list (never who avoids them)


@dataclass(frozen=True)
class RoundReport:
    """What a round did (or would do, for a preview)."""

    round_id: int | None
    result: MatchResult
    names: dict[int, str]


class CheckinOutcome(StrEnum):
    """Where a group's check-in stands, derived from its members' answers (`outcome`); each is
    a field of `RoundOutcome`."""

    COLLABORATING = "collaborating"
    NEW_PARTNER = "new_partner"  # asked for a new partner, or reported their partner unresponsive
    NO_ANSWER = "no_answer"  # the check-in was posted and nobody answered
    WAITING = "waiting"  # introduced; check-in not due yet (or the group was dropped)


@dataclass(frozen=True)
class RoundOutcome:
    """One round's groups by check-in outcome (a rematch counts with its own round)."""

    round_id: int
    started: datetime
    rematch: bool
    collaborating: int = 0  # one field per `CheckinOutcome`
    new_partner: int = 0
    no_answer: int = 0
    waiting: int = 0

    @property
    def groups(self) -> int:
        return self.collaborating + self.new_partner + self.no_answer + self.waiting


@dataclass(frozen=True)
class PairingStats:
    """What `/pairing stats` shows."""

    rounds: tuple[RoundOutcome, ...]
    median_overlap_hours: float | None

    @property
    def rematches(self) -> int:
        return sum(r.rematch for r in self.rounds)

    @property
    def groups(self) -> int:
        return sum(r.groups for r in self.rounds)

    @property
    def collaborating_share(self) -> float | None:
        """Collaborating groups among those whose check-in has an outcome."""
        decided = sum(r.collaborating + r.new_partner + r.no_answer for r in self.rounds)
        return sum(r.collaborating for r in self.rounds) / decided if decided else None


def outcome(group: GroupRow, members: list[MembershipRow]) -> CheckinOutcome:
    """A group's check-in outcome."""
    if any(m.answer == CheckinAnswer.NEW_PARTNER or m.unresponsive for m in members):
        return CheckinOutcome.NEW_PARTNER
    if members and all(m.answer == CheckinAnswer.COLLABORATING for m in members):
        return CheckinOutcome.COLLABORATING
    if any(m.answer == CheckinAnswer.COLLABORATING for m in members):
        return CheckinOutcome.COLLABORATING  # one said so; the other may still answer
    if group.checkin_status == GroupStatus.POSTED:
        return CheckinOutcome.NO_ANSWER
    return CheckinOutcome.WAITING


def known_timezone(typed: str) -> str:
    """The IANA name of the time zone a learner typed; refused with the closest names."""
    zone = resolve_timezone(typed)
    if zone is None:
        close = ", ".join(f"`{z}`" for z in suggest_timezones(typed, limit=5))
        raise UserError(
            f"I don't know the time zone {quoted(typed)}. Did you mean {close or '`UTC`'}?"
        )
    return zone


def split_tags(text: str | None) -> list[str]:
    """`"React, TS ,react"` -> `["react", "ts"]` (at most 10, each at most 30 characters)."""
    tags = [" ".join(t.split()).lower()[:30] for t in (text or "").split(",")]
    return list(dict.fromkeys(t for t in tags if t))[:MAX_TAGS]


class PairingService:
    """Learner profiles, rounds, introductions and check-ins. No discord imports."""

    def __init__(
        self,
        database: Database,
        *,
        checkin_after: timedelta,
        grace: timedelta,
        schedule: tuple[int, int, int] | None = None,
        notice_before: timedelta = timedelta(0),
        clock: Callable[[], datetime] = utcnow,
        jobs: Jobs | None = None,
    ) -> None:
        self.database = database
        self.notice_before = notice_before  # 0: no notice before scheduled rounds
        self.nonces = Nonces(database)
        self.checkin_after = checkin_after
        self.grace = grace
        self.schedule = schedule
        self.clock = clock
        self.notifier: PairingNotifier | None = None
        self.jobs = jobs or Jobs(clock)  # the bot's runtime for background work
        self.rounds_run = 0
        self.rematches = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self, notifier: PairingNotifier) -> None:
        """Resume announcements and check-ins; run a scheduled round missed while down."""
        self.notifier = notifier
        self.jobs.start()
        self.jobs.every(f"{JOBS}sweep", SWEEP_SECONDS, self.sweep)
        if self.schedule is not None:
            weekday, hour, minute = self.schedule
            self.jobs.add(
                f"{JOBS}round",
                CronTrigger(day_of_week=weekday, hour=hour, minute=minute, timezone=UTC),
                self.scheduled_round,
            )
            moment = last_occurrence(self.schedule, self.clock())
            if self.clock() - moment <= self.grace:
                await self.run_round(slot=f"weekly-{moment:%Y-%m-%dT%H:%M}")
        await self.sweep()

    async def stop(self) -> None:
        """Stop scheduling, then let a sweep or round in flight finish (within a limit)."""
        await self.jobs.stop_group(JOBS, STOP_TIMEOUT)

    @property
    def running(self) -> bool:
        """Whether sweeps (and automatic rounds) are scheduled (between `start` and `stop`)."""
        return self.jobs.running and self.jobs.due_at(f"{JOBS}sweep") is not None

    async def scheduled_round(self) -> None:
        """The weekly round (once per slot, whichever replica gets there first)."""
        assert self.schedule is not None
        moment = last_occurrence(self.schedule, self.clock())
        await self.run_round(slot=f"weekly-{moment:%Y-%m-%dT%H:%M}")

    def next_round(self) -> datetime | None:
        """When the next automatic round runs."""
        if self.schedule is None:
            return None
        return last_occurrence(self.schedule, self.clock()) + timedelta(days=7)

    # ------------------------------------------------------------------ profiles
    async def join(
        self,
        user_id: int,
        name: str,
        role: str,
        timezone: str,
        *,
        stack: str | None = None,
        interests: str | None = None,
        project: str | None = None,
    ) -> tuple[LearnerRow, bool]:
        """Join the pool, or update the profile; returns (profile, joined now)."""
        if role not in ("frontend", "backend"):
            raise UserError("Choose your role: frontend or backend.")
        zone = known_timezone(timezone)
        async with self.database.session() as session:
            row = await session.get(LearnerRow, user_id)
            joined = row is None or not row.active
            if row is None:
                row = LearnerRow(user_id=user_id, name=name[:100], role=role, timezone=zone)
                session.add(row)
            row.name, row.role, row.timezone = name[:100], role, zone
            row.active, row.paused_until, row.updated_at = True, None, utcnow()
            if stack is not None:
                row.stack = split_tags(stack)
            if interests is not None:
                row.interests = split_tags(interests)
            if project is not None:
                row.project = " ".join(project.split())[:200]
        return row, joined

    async def update_details(
        self, user_id: int, timezone: str, *, stack: str, interests: str, project: str
    ) -> LearnerRow:
        """Change a pool member's time zone, stack, interests and project (not their role,
        pause or place in the pool: /pair join does that)."""
        zone = known_timezone(timezone)
        async with self.database.session() as session:
            row = await session.get(LearnerRow, user_id)
            if row is None or not row.active:
                raise UserError("You're not in the pool: /pair join role: … timezone: …")
            row.timezone, row.stack, row.interests = zone, split_tags(stack), split_tags(interests)
            row.project, row.updated_at = " ".join(project.split())[:200], utcnow()
        return row

    async def leave(self, user_id: int) -> bool:
        """Leave the pool (and any current group)."""
        async with self.database.session() as session:
            row = await session.get(LearnerRow, user_id)
            if row is None or not row.active:
                return False
            row.active, row.updated_at = False, utcnow()
            await self._release(session, user_id)
        return True

    async def pause(self, user_id: int, days: int) -> datetime:
        """Skip rounds for `days` days."""
        if not 1 <= days <= MAX_PAUSE_DAYS:
            raise UserError(f"Pause for 1 to {MAX_PAUSE_DAYS} days.")
        async with self.database.session() as session:
            row = await session.get(LearnerRow, user_id)
            if row is None or not row.active:
                raise UserError("Join first with /pair join.")
            row.paused_until = self.clock() + timedelta(days=days)
            return row.paused_until

    async def avoid(self, user_id: int, other_id: int) -> bool:
        """Never match `user_id` with `other_id`; False when already on the list."""
        if user_id == other_id:
            raise UserError("You can't avoid yourself.")
        try:
            async with self.database.session() as session:
                session.add(AvoidRow(user_id=user_id, avoided_id=other_id))
        except IntegrityError:
            return False
        return True

    async def unavoid(self, user_id: int, other_id: int) -> bool:
        """Take `other_id` off `user_id`'s avoid list; False when they were not on it."""
        async with self.database.session() as session:
            row = await session.get(AvoidRow, (user_id, other_id))
            if row is None:
                return False
            await session.delete(row)
        return True

    async def status(self, user_id: int) -> Profile | None:
        """The learner's profile, current partners and the size of the pool."""
        async with self.database.session() as session:
            row = await session.get(LearnerRow, user_id)
            if row is None:
                return None
            mine = (
                await session.exec(
                    select(MembershipRow).where(
                        MembershipRow.user_id == user_id,
                        col(MembershipRow.active).is_(True),
                    )
                )
            ).first()
            partners: list[tuple[int, str]] = []
            thread_id = None
            if mine is not None:
                group = await session.get(GroupRow, mine.group_id)
                thread_id = group.thread_id if group else None
                for other in await self._active_members(session, mine.group_id):
                    if other.user_id == user_id:
                        continue
                    learner = await session.get(LearnerRow, other.user_id)
                    partners.append((other.user_id, learner.name if learner else "?"))
            pool = await self._pool(session)
            avoiding = (
                await session.exec(
                    select(AvoidRow.avoided_id)
                    .where(AvoidRow.user_id == user_id)
                    .order_by(col(AvoidRow.avoided_id))
                )
            ).all()
        return Profile(
            row,
            tuple(partners),
            thread_id,
            sum(p.role == "frontend" for p in pool),
            sum(p.role == "backend" for p in pool),
            self.next_round(),
            tuple(avoiding),
        )

    async def stats(self) -> PairingStats:
        """Rounds, groups by check-in outcome, rematches and the median shared hours."""
        async with self.database.session() as session:
            rounds = (await session.exec(select(RoundRow).order_by(col(RoundRow.id)))).all()
            groups = (await session.exec(select(GroupRow))).all()
            memberships = (await session.exec(select(MembershipRow))).all()
        by_group: dict[int, list[MembershipRow]] = {}
        for membership in memberships:
            by_group.setdefault(membership.group_id, []).append(membership)
        counts: dict[int, dict[CheckinOutcome, int]] = {}
        for group in groups:
            if group.status == GroupStatus.DROPPED:  # never introduced: not a group to count
                continue
            kind = outcome(group, by_group.get(group.id or 0, []))
            tally = counts.setdefault(group.round_id, {})
            tally[kind] = tally.get(kind, 0) + 1
        outcomes = tuple(
            RoundOutcome(
                r.id or 0,
                r.created_at,
                (r.slot or "").startswith(REMATCH_SLOT),
                **counts.get(r.id or 0, {}),
            )
            for r in rounds
        )
        hours = [g.overlap_hours for g in groups if g.status != GroupStatus.DROPPED]
        return PairingStats(outcomes, statistics.median(hours) if hours else None)

    # ------------------------------------------------------------------ rounds
    async def _pool(self, session: AsyncSession) -> list[LearnerRow]:
        now = self.clock()
        busy = select(MembershipRow.user_id).where(col(MembershipRow.active).is_(True))
        return list(
            (
                await session.exec(
                    select(LearnerRow)
                    .where(
                        col(LearnerRow.active).is_(True),
                        or_(
                            col(LearnerRow.paused_until).is_(None),
                            col(LearnerRow.paused_until) <= now,
                        ),
                        col(LearnerRow.user_id).not_in(busy),
                    )
                    .order_by(col(LearnerRow.user_id))
                )
            ).all()
        )

    async def _plan(
        self, session: AsyncSession, only: list[int] | None = None
    ) -> tuple[MatchResult, dict[int, str]]:
        """Match the pool (or the learners of it in `only`)."""
        pool = await self._pool(session)
        if only is not None:
            pool = [p for p in pool if p.user_id in set(only)]
        ids = [p.user_id for p in pool]
        avoid = [
            (a.user_id, a.avoided_id)
            for a in (
                await session.exec(
                    select(AvoidRow).where(
                        or_(col(AvoidRow.user_id).in_(ids), col(AvoidRow.avoided_id).in_(ids))
                    )
                )
            ).all()
        ]
        history = (
            await session.exec(
                select(MembershipRow.group_id, MembershipRow.user_id).where(
                    col(MembershipRow.user_id).in_(ids)
                )
            )
        ).all()
        groups: dict[int, set[int]] = {}
        for group_id, member in history:
            groups.setdefault(group_id, set()).add(member)
        past = [frozenset(members) for members in groups.values() if len(members) > 1]
        learners = [
            Learner(
                p.user_id,
                cast(Role, p.role),  # a stored role; Learner checks it
                p.timezone,
                frozenset(p.stack),
                frozenset(p.interests),
            )
            for p in pool
        ]
        # Fairness: whoever a round left out is first in line now (as they were told).
        priority = [p.user_id for p in pool if p.first_in_line]
        # CPU-bound (about 0.5 s for 1,500 x 2,000): keep the event loop free meanwhile.
        result = await asyncio.to_thread(
            match, learners, past_partners=past, avoid=avoid, at=self.clock(), priority=priority
        )
        return result, {p.user_id: p.name for p in pool}

    async def preview(self) -> RoundReport:
        """The groups a round would form now (nothing is saved)."""
        async with self.database.session() as session:
            result, names = await self._plan(session)
        return RoundReport(None, result, names)

    async def run_round(
        self, *, actor_id: int | None = None, slot: str | None = None
    ) -> RoundReport | None:
        """Match the pool, persist the round, then announce it. None if `slot` already ran."""
        try:
            async with self.database.session() as session:
                result, names = await self._plan(session)
                round_row = RoundRow(slot=slot, started_by=actor_id, score=result.score)
                session.add(round_row)
                await session.flush()
                assert round_row.id is not None
                for group in result.groups:
                    await self._add_group(session, round_row.id, group)
                for unplaced in result.unplaced:
                    session.add(
                        UnplacedRow(
                            round_id=round_row.id,
                            user_id=unplaced.learner_id,
                            reason=unplaced.reason[:300],
                        )
                    )
                await self._set_first_in_line(
                    session,
                    placed=[m for group in result.groups for m in group.members],
                    left_out=[unplaced.learner_id for unplaced in result.unplaced],
                )
                session.add(
                    AuditRow(
                        actor_id=actor_id,
                        action="pairing.round",
                        target=slot or f"round {round_row.id}",
                        detail=f"{len(result.groups)} groups, {len(result.unplaced)} unplaced",
                    )
                )
                round_id = round_row.id
        except IntegrityError as error:
            if not violates(error, *ROUND_RAN):
                raise
            log.info("pairing round %s already ran (or ran concurrently): skipped", slot)
            return None
        self.rounds_run += 1
        log.info(
            "pairing round %s: %d groups, %d unplaced",
            round_id,
            len(result.groups),
            len(result.unplaced),
        )
        if self.notifier is not None:
            await self.announce_pending()
        return RoundReport(round_id, result, names)

    @staticmethod
    async def _add_group(session: AsyncSession, round_id: int, group: Group) -> None:
        """Persist a group of a round, to be introduced by `announce_pending`."""
        row = GroupRow(
            round_id=round_id,
            score=group.score,
            overlap_hours=group.overlap_hours,
            shared=list(group.shared),
        )
        session.add(row)
        await session.flush()
        for member in group.members:
            role = "frontend" if member in group.frontend else "backend"
            session.add(MembershipRow(group_id=row.id or 0, user_id=member, role=role))
        await session.flush()  # the unique index refuses a member of another active group

    @staticmethod
    async def _set_first_in_line(
        session: AsyncSession, *, placed: list[int], left_out: list[int]
    ) -> None:
        """Whoever a round places loses their place in line; whoever it leaves out gets one."""
        for ids, value in ((placed, False), (left_out, True)):
            if ids:
                await session.exec(
                    update(LearnerRow)
                    .where(col(LearnerRow.user_id).in_(ids))
                    .values(first_in_line=value)
                )

    # ------------------------------------------------------------------ announcing
    async def sweep(self) -> None:
        """Resume introductions, tell unplaced learners, post due check-ins and nudges."""
        if self.notifier is None:
            return
        await self.announce_pending()
        await self.post_due_checkins()
        await self.nudge_silent_members()
        await self.post_round_notice()

    async def announce_pending(self) -> None:
        """Introduce every group not yet introduced (a failure leaves it for the next sweep)."""
        async with self.database.session() as session:
            rows = (
                await session.exec(
                    select(GroupRow.id, GroupRow.claimed_at).where(
                        INTRODUCTIONS.open(GroupStatus.PENDING, self.clock())
                    )
                )
            ).all()
        for group_id, claimed_before in rows:
            try:
                # Only an earlier attempt may have made a thread it did not record.
                await self._announce(group_id or 0, tried=claimed_before is not None)
            except DeliveryError as error:
                log.warning("introducing group %s failed (%s); will retry", group_id, error)
                await self._set_group(group_id or 0, None, status=GroupStatus.PENDING)
            except Exception:  # one group's bug must not stop the others; retried when stale
                log.exception("introducing group %s failed", group_id)
        await self._tell_unplaced()

    async def _left_server(self, group_id: int, token: str, user_id: int) -> None:
        """A member of a group being introduced left the server: they leave the pool, and the
        group is introduced again without them (or dropped, its other members told and back
        in the pool, when a role is missing now)."""
        log.info("learner %s left the server before their introduction", user_id)
        async with self.database.session() as session:
            learner = await session.get(LearnerRow, user_id)
            if learner is not None:
                learner.active = False
        if await self._set_group(group_id, token, status=GroupStatus.PENDING):
            await self._announce(group_id, tried=True)

    async def _set_group(self, group_id: int, token: str | None, **values: object) -> bool:
        condition = INTRODUCTIONS.held(token) if token else None
        return await INTRODUCTIONS.finish(self.database, group_id, condition, **values)

    async def _announce(self, group_id: int, *, tried: bool) -> None:
        assert self.notifier is not None
        now = self.clock()
        token = await INTRODUCTIONS.claim(
            self.database, group_id, INTRODUCTIONS.open(GroupStatus.PENDING, now), now
        )
        if token is None:
            return
        async with self.database.session() as session:
            group = await session.get(GroupRow, group_id)
            assert group is not None
            members = await self._active_members(session, group_id)
            found = {m.user_id: await session.get(LearnerRow, m.user_id) for m in members}
            learners = {uid: row for uid, row in found.items() if row is not None and row.active}
            gone = [m for m in members if m.user_id not in learners]
            for membership in gone:  # left mid-round: never announced
                membership.active = False
            staying = [m for m in members if m not in gone]
            complete = {m.role for m in staying} == {"frontend", "backend"}
            if not complete:
                for membership in staying:
                    membership.active = False
                group.status = GroupStatus.DROPPED
        if not complete:
            for membership in staying:
                await self._dm(
                    membership.user_id,
                    "Your partner left before the "
                    "introduction, so you're back in the pool for the next round.",
                )
            if group.thread_id is not None:  # members added before the leaver see why
                try:
                    await self.notifier.post(group.thread_id, GROUP_ENDED)
                except DeliveryError as error:
                    log.warning("could not close the thread of group %s: %s", group_id, error)
            return
        intro = Introduction(
            group_id,
            tuple(
                MemberIntro(
                    m.user_id,
                    learners[m.user_id].name,
                    m.role,
                    learners[m.user_id].timezone,
                    tuple(learners[m.user_id].stack),
                    learners[m.user_id].project,
                )
                for m in staying
            ),
            group.overlap_hours,
            tuple(group.shared),
        )
        names = " & ".join(member.name for member in intro.members)
        marker = f"#{group_id}"
        thread_id = group.thread_id
        if thread_id is None and tried:  # not for every new group: that lists every thread
            thread_id = await self.notifier.find_thread(marker)
        if thread_id is None:
            thread_id = await self.notifier.create_thread(f"{names}"[:90] + f" · {marker}")
        await self._set_group(group_id, token, thread_id=thread_id)
        for member in intro.members:
            try:
                await self.notifier.add_member(thread_id, member.user_id)
            except MemberLeft:  # the bot is not told who leaves: it learns it here
                await self._left_server(group_id, token, member.user_id)
                return
        await self.notifier.introduce(
            thread_id, intro, nonce=await self.nonces("introduction", group_id, thread_id)
        )
        await self._set_group(
            group_id,
            token,
            status=GroupStatus.ANNOUNCED,
            checkin_due=self.clock() + self.checkin_after,
        )

    async def _dm(self, user_id: int, text: str) -> None:
        """DM a learner; a failure is logged, never raised (the post it belongs to goes on)."""
        assert self.notifier is not None
        try:
            delivered = await self.notifier.direct(user_id, text)
        except DeliveryError as error:
            log.warning("DM to %s failed: %s", user_id, error)
        else:
            if not delivered:
                log.info("DM to %s not delivered: they do not accept DMs", user_id)

    async def _tell_unplaced(self) -> None:
        async with self.database.session() as session:
            rows = (
                await session.exec(select(UnplacedRow).where(col(UnplacedRow.notified).is_(False)))
            ).all()
            for row in rows:
                row.notified = True  # at most once, even if the DM fails
        for row in rows:
            own_fault = row.reason == REASON_BAD_TIMEZONE  # about their own profile only
            await self._dm(row.user_id, BAD_TIMEZONE_MESSAGE if own_fault else UNPLACED_MESSAGE)

    # ------------------------------------------------------------------ check-ins
    async def post_due_checkins(self) -> None:
        """Post the check-in in each group's thread once it is due."""
        assert self.notifier is not None
        now = self.clock()
        async with self.database.session() as session:
            due = (
                await session.exec(
                    select(GroupRow).where(
                        GroupRow.status == GroupStatus.ANNOUNCED,
                        col(GroupRow.checkin_due) <= now,
                        CHECKINS.open(GroupStatus.PENDING, now),
                    )
                )
            ).all()
        for group in due:
            unchanged = and_(  # nobody claimed it since we looked
                col(GroupRow.checkin_status) == group.checkin_status,
                or_(
                    col(GroupRow.checkin_claimed_at).is_(None),
                    col(GroupRow.checkin_claimed_at) == group.checkin_claimed_at,
                ),
            )
            if await CHECKINS.claim(self.database, group.id or 0, unchanged, now) is None:
                continue
            if group.thread_id is None:
                continue
            async with self.database.session() as session:
                members = [m.user_id for m in await self._active_members(session, group.id)]
            try:
                await self.notifier.checkin(
                    group.thread_id,
                    group.id or 0,
                    members,
                    nonce=await self.nonces("check-in", group.id or 0, group.thread_id),
                )
            except DeliveryError as error:
                log.warning("check-in for group %s failed: %s", group.id, error)
                await CHECKINS.finish(
                    self.database, group.id or 0, checkin_status=GroupStatus.PENDING
                )
                continue
            await CHECKINS.finish(self.database, group.id or 0, checkin_status=GroupStatus.POSTED)

    async def answer_checkin(self, group_id: int, user_id: int, collaborating: bool) -> str:
        """Record a check-in answer; 'Need a new partner' returns the learner to the pool."""
        async with self.database.session() as session:
            mine = (
                await session.exec(
                    select(MembershipRow).where(
                        MembershipRow.group_id == group_id, MembershipRow.user_id == user_id
                    )
                )
            ).first()
            if mine is None:
                raise UserError("This check-in is for the members of this group.")
            if not mine.active:
                return "You already left this group; you're in the pool for the next round."
            mine.answer = (
                CheckinAnswer.COLLABORATING if collaborating else CheckinAnswer.NEW_PARTNER
            )
            mine.answered_at = utcnow()
            if collaborating:
                return "Great, keep going! 🎉"
            await self._release(session, user_id)
            rest = await self._active_members(session, group_id)
            if {m.role for m in rest} != {"frontend", "backend"}:
                for membership in rest:
                    membership.active = False
        return "Thanks for telling us. You're back in the pool for the next round."

    async def post_round_notice(self, *, soon: bool = False) -> None:
        """`notice_before` a scheduled round, tell the pool once (across replicas). With
        `soon` (the sandbox), now, about the next round (tomorrow 09:00 UTC if none is set)."""
        round_at = self.next_round()
        now = self.clock()
        if soon and round_at is None:
            round_at = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        if self.notifier is None or round_at is None or not (self.notice_before or soon):
            return
        if not soon and not round_at - self.notice_before <= now < round_at:
            return
        slot = f"weekly-{round_at:%Y-%m-%dT%H:%M}"
        row = await self._notice_row(slot)
        if row.status == GroupStatus.POSTED:
            return
        row_id, tried = row.id or 0, row.claimed_at is not None
        if (
            await NOTICES.claim(self.database, row_id, NOTICES.open(GroupStatus.PENDING, now), now)
            is None
        ):
            return
        try:
            await self.notifier.notice(round_at, tried=tried)
        except DeliveryError as error:
            log.warning("pairing round notice failed (%s); will retry", error)
            await NOTICES.finish(self.database, row_id, status=GroupStatus.PENDING)
            return
        await NOTICES.finish(self.database, row_id, status=GroupStatus.POSTED)

    async def _notice_row(self, slot: str) -> NoticeRow:
        """The notice ledger row of a round, made by whichever replica asks first."""
        query = select(NoticeRow).where(NoticeRow.slot == slot)
        async with self.database.session() as session:
            row = (await session.exec(query)).first()
        if row is None:
            with contextlib.suppress(IntegrityError):  # another replica made it first
                async with self.database.session() as session:
                    session.add(NoticeRow(slot=slot))
            async with self.database.session() as session:
                row = (await session.exec(query)).one()
        return row

    async def skip_round(self, user_id: int, round_at: datetime) -> datetime:
        """Sit out the round at `round_at` (a pause that ends when it can no longer run)."""
        if round_at <= self.clock():
            raise UserError("That round has already run.")
        async with self.database.session() as session:
            row = await session.get(LearnerRow, user_id)
            if row is None or not row.active:
                raise UserError("You're not in the pool: nothing to skip.")
            until = round_at + self.grace + timedelta(minutes=1)
            if row.paused_until is None or row.paused_until < until:
                row.paused_until = until
            return row.paused_until

    async def make_checkins_due(self) -> int:
        """Make every introduced group's check-in due now (the sandbox's `:checkin`)."""
        async with self.database.session() as session:
            result = await session.exec(
                update(GroupRow)
                .where(
                    col(GroupRow.status) == GroupStatus.ANNOUNCED,
                    col(GroupRow.checkin_status) == GroupStatus.PENDING,
                )
                .values(checkin_due=self.clock())
            )
        return int(result.rowcount)

    async def nudge_silent_members(self) -> None:
        """One reminder, by DM, to each member who has not answered a check-in posted at least
        `NUDGE_AFTER` ago (claimed through the ledger: once, across replicas)."""
        assert self.notifier is not None
        now = self.clock()
        async with self.database.session() as session:
            due = (
                await session.exec(
                    select(MembershipRow, GroupRow.thread_id)
                    .join(GroupRow, col(GroupRow.id) == MembershipRow.group_id)
                    .where(
                        GroupRow.checkin_status == GroupStatus.POSTED,
                        col(GroupRow.checkin_claimed_at) <= now - NUDGE_AFTER,
                        col(MembershipRow.active).is_(True),
                        col(MembershipRow.answer).is_(None),
                        NUDGES.open(GroupStatus.PENDING, now),
                    )
                )
            ).all()
        for membership, thread_id in due:
            membership_id, user_id = membership.id, membership.user_id
            unchanged = NUDGES.open(GroupStatus.PENDING, now)
            failed_before = membership.nudge_status == GroupStatus.PENDING
            first_try = membership.nudge_claimed_at if failed_before else None
            first_try = first_try or now
            if await NUDGES.claim(self.database, membership_id or 0, unchanged, now) is None:
                continue
            if now - first_try >= NUDGE_RETRY_FOR:  # Discord may have forgotten its nonce
                log.warning("check-in nudge to %s given up: Discord kept failing", user_id)
                await NUDGES.finish(
                    self.database, membership_id or 0, nudge_status=GroupStatus.POSTED
                )
                continue
            where = f" in <#{thread_id}>" if thread_id else ""
            text = (
                f"Your partner check-in{where} is still waiting for your answer: "
                "how is your collaboration going? (This is the only reminder.)"
            )
            try:  # a claim a crash left behind is sent again under the same nonce
                nonce = await self.nonces("nudge", membership_id or 0, user_id)
                if not await self.notifier.direct(user_id, text, nonce):
                    log.info("check-in nudge to %s not delivered: DMs closed", user_id)
            except DeliveryError as error:
                if error.retryable:
                    log.warning("check-in nudge to %s failed (%s); trying again", user_id, error)
                    await NUDGES.finish(  # the next sweep tries again; the first try's time kept
                        self.database,
                        membership_id or 0,
                        nudge_status=GroupStatus.PENDING,
                        nudge_claimed_at=first_try,
                    )
                    continue
                log.warning("check-in nudge to %s failed: %s", user_id, error)
            await NUDGES.finish(self.database, membership_id or 0, nudge_status=GroupStatus.POSTED)

    async def report_unresponsive(self, group_id: int, reporter_id: int) -> str:
        """A member reports that their partner never answered: the reporter leaves the group
        (which ends unless both roles remain) and is rematched now with a compatible learner
        who waits, or put first in line for the next round. Only members who never answered
        the check-in count as unresponsive; one reported twice in a row is paused and told
        privately how to come back."""
        async with self.database.session() as session:
            # Reports on one group run one at a time (PostgreSQL: a row lock; SQLite: one writer).
            group = (
                await session.exec(
                    select(GroupRow).where(GroupRow.id == group_id).with_for_update()
                )
            ).first()
            members = await self._active_members(session, group_id)
            mine = next((m for m in members if m.user_id == reporter_id), None)
            if group is None or mine is None:
                raise UserError("This button is for the members of this group, while it lasts.")
            if (
                group.checkin_due is None
                or self.clock() < group.checkin_due - self.checkin_after + REPORT_AFTER
            ):
                raise UserError(
                    "Give your partner a day to answer the introduction first, then try again."
                )
            left = await session.exec(
                update(MembershipRow)
                .where(col(MembershipRow.id) == mine.id, col(MembershipRow.active).is_(True))
                .values(active=False)
            )
            if left.rowcount != 1:  # a report that just ended the group for this member
                raise UserError("This button is for the members of this group, while it lasts.")
            rest = [m for m in members if m.user_id != reporter_id]
            silent = [m for m in rest if m.answer is None]
            for membership in silent:
                membership.unresponsive = True
            if {m.role for m in rest} != {"frontend", "backend"}:
                for membership in rest:  # the group ends: everyone is free again
                    membership.active = False
            silent_twice = [m.user_id for m in silent if await self._silent_before(session, m)]
            for user_id in silent_twice:
                learner = await session.get(LearnerRow, user_id)
                if learner is not None:
                    learner.paused_until = self.clock() + PAUSED_FOR_SILENCE
            session.add(
                AuditRow(
                    actor_id=reporter_id,
                    action="pairing.unresponsive",
                    target=f"group {group_id}",
                    detail=f"{len(silent)} reported, {len(silent_twice)} paused",
                )
            )
        for user_id in silent_twice:
            await self._dm(user_id, PAUSED_MESSAGE)
        if await self._rematch(group_id, reporter_id):
            return "Sorry about that! You have a new partner: look for a new private thread."
        async with self.database.session() as session:
            learner = await session.get(LearnerRow, reporter_id)
            if learner is not None:
                learner.first_in_line = True
        return "Sorry about that! Nobody is waiting right now; you're first in line next round."

    @staticmethod
    async def _silent_before(session: AsyncSession, membership: MembershipRow) -> bool:
        """Whether the member's previous group also reported them unresponsive."""
        previous = (
            await session.exec(
                select(MembershipRow)
                .where(
                    MembershipRow.user_id == membership.user_id,
                    col(MembershipRow.id) < (membership.id or 0),
                )
                .order_by(col(MembershipRow.id).desc())
            )
        ).first()
        return previous is not None and previous.unresponsive

    async def _rematch(self, group_id: int, reporter_id: int) -> bool:
        """Match the reporter with the best compatible learner waiting now (a one-group round
        whose slot makes a second click harmless); whether a new group was formed."""
        async with self.database.session() as session:
            learner = await session.get(LearnerRow, reporter_id)
            if learner is None or not learner.active:
                return False
            former = set(
                (
                    await session.exec(
                        select(MembershipRow.user_id).where(MembershipRow.group_id == group_id)
                    )
                ).all()
            )
            waiting = [
                p.user_id
                for p in await self._pool(session)
                if p.role != learner.role and p.user_id not in former
            ]
        if not waiting:
            return False
        try:
            async with self.database.session() as session:
                result, _ = await self._plan(session, only=[reporter_id, *waiting])
                group = next((g for g in result.groups if reporter_id in g.members), None)
                if group is not None and group.is_trio:  # a partner, not a second one
                    result, _ = await self._plan(session, only=list(group.members[:2]))
                    group = next((g for g in result.groups if reporter_id in g.members), None)
                if group is None:
                    return False
                slot = f"{REMATCH_SLOT}{group_id}-{reporter_id}"
                round_row = RoundRow(slot=slot, started_by=reporter_id)
                session.add(round_row)
                await session.flush()
                await self._add_group(session, round_row.id or 0, group)
                await self._set_first_in_line(session, placed=list(group.members), left_out=[])
        except IntegrityError as error:  # a second report, or the partner was just placed
            if not violates(error, *ROUND_RAN):
                raise
            return False
        self.rematches += 1
        if self.notifier is not None:
            await self.announce_pending()
        return True

    @staticmethod
    async def _active_members(session: AsyncSession, group_id: int | None) -> list[MembershipRow]:
        """The memberships of a group that are still active."""
        query = select(MembershipRow).where(
            MembershipRow.group_id == group_id, col(MembershipRow.active).is_(True)
        )
        return list((await session.exec(query)).all())

    async def _release(self, session: AsyncSession, user_id: int) -> None:
        rows = (
            await session.exec(
                select(MembershipRow).where(
                    MembershipRow.user_id == user_id, col(MembershipRow.active).is_(True)
                )
            )
        ).all()
        for row in rows:
            row.active = False
