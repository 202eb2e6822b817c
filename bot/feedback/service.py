"""What /learn answered, members' votes on it, and the gap inbox built from both.

A question is a gap when /learn found nothing, when nobody opened any of the closest matches it
offered (within `PICK_WINDOW`), or when its answer was voted *Not helpful* (once per answer,
however many say so). Gaps keep no member id: the normalized question, how often and when it
was asked, and the best suggestion; their votes are read from the votes on their answers.
Votes keep the member's id (one vote per member per answer); everything is deleted after the
retention period. Answers are queued and written in batches; every other write is one atomic
statement or transaction, so replicas sharing the database count each event once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.db.models import AnswerKind, AnswerRow, GapRow, VoteRow, utcnow
from bot.errors import UserError
from bot.feedback.questions import normalize_question
from bot.feedback.stats import EntryStats, KnowledgeStats, entry_stats, knowledge_stats
from bot.jobs import Jobs
from bot.knowledge.presentation import Page, page_number
from bot.moderation.content import Actor, Change, ContentService
from bot.nonces import Nonces

log = logging.getLogger(__name__)

JOBS = "feedback:"
PICK_WINDOW = timedelta(minutes=10)
"""Closest matches nobody opened within this long make their question a gap."""
SETTLE_SECONDS = 300.0
SETTLE_BATCH = 1000
SWEEP_SECONDS = 24 * 3600.0
REAPPEAR_AFTER = 3
"""A dismissed gap shows again once it has been asked this many more times."""
PAGE_SIZE = 4
BATCH_DELAY = 0.5
"""Seconds answers queue before they are written together: at 0.05 s the batches' own cost
was a third more CPU per command under load (docs/benchmarks.md, *Recording answers*)."""
BATCH_SIZE = 500
WRITE_RETRIES = (0.5, 2.0)
"""Seconds before each new try of a batch whose write failed (a locked SQLite file, a dropped
PostgreSQL connection): its answers are given up, and logged, only after the last."""
STOP_TIMEOUT = 10.0


DISCORD_EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
ROW_WAIT = 5.0
"""Seconds a click waits for its answer's row (written by this or another replica)."""
ROW_POLL = 0.1


def snowflake_time(snowflake: int) -> datetime:
    """When a Discord id (an interaction's: an answer's id) was made."""
    return DISCORD_EPOCH + timedelta(milliseconds=snowflake >> 22)


def snowflake_at(when: datetime) -> int:
    """A new id shaped like Discord's, made at `when` (for answers recorded outside Discord)."""
    milliseconds = int((when - DISCORD_EPOCH).total_seconds() * 1000)
    return (milliseconds << 22) | secrets.randbits(22)


@dataclass(frozen=True)
class Shown:
    """What a reply showed, to be recorded as an answer."""

    answer_id: int
    kind: AnswerKind
    question: str | None  # normalized
    entry_slug: str | None
    best_slug: str | None
    at: datetime


class Claim(StrEnum):
    """What choosing an entry for a message did (*Answer with Nexus*)."""

    WON = "won"  # this choice answers the message
    TAKEN = "taken"  # an earlier choice did
    MISSING = "missing"  # the offer was never recorded, or was swept


class VoteOutcome(StrEnum):
    """What a click on Helpful / Not helpful did."""

    NEW = "new"
    CHANGED = "changed"
    SAME = "same"
    GONE = "gone"  # the answer is older than the retention period
    UNKNOWN = "unknown"  # the answer was never recorded (the database failed)


@dataclass(frozen=True)
class Gap:
    """A question the knowledge base did not answer well, with the votes on its answers."""

    id: int
    question: str
    count: int
    first_seen: datetime
    last_seen: datetime
    best_slug: str | None
    helpful: int = 0
    not_helpful: int = 0

    @classmethod
    def of(cls, row: GapRow, votes: dict[tuple[str, bool], int] | None = None) -> Gap:
        """The gap a row holds, with its question's votes from `votes`."""
        assert row.id is not None
        votes = votes or {}
        return cls(
            row.id,
            row.question,
            row.count,
            row.first_seen,
            row.last_seen,
            row.best_slug,
            votes.get((row.question, True), 0),
            votes.get((row.question, False), 0),
        )


class FeedbackService:
    """Records answers and votes, keeps the gap inbox, and sweeps what is past retention."""

    def __init__(
        self,
        database: Database,
        content: ContentService,
        *,
        retention: timedelta = timedelta(days=90),
        jobs: Jobs | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.content = content
        self.retention = retention
        self.jobs = jobs or Jobs(clock)
        self.clock = clock
        self.nonces = Nonces(database)
        self._queue: list[Shown] = []  # answers waiting to be written (`record_soon`)
        self._unwritten: set[int] = set()  # their ids, until their batch was tried
        self._writer: asyncio.Task[None] | None = None
        # What this process counted, for /metrics: answers by kind, votes cast, gaps counted.
        self.answers: Counter[str] = Counter({kind.value: 0 for kind in AnswerKind})
        self.votes: Counter[str] = Counter(helpful=0, not_helpful=0)
        self.gaps_counted = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Settle closest matches every few minutes and sweep old records daily."""
        self.jobs.start()
        self.jobs.every(f"{JOBS}settle", SETTLE_SECONDS, self.settle)
        self.jobs.every(f"{JOBS}sweep", SWEEP_SECONDS, self.sweep)

    async def stop(self) -> None:
        """Stop both jobs, letting a run in progress and the answers being written finish."""
        await self.jobs.stop_group(JOBS, STOP_TIMEOUT)
        await self.written(STOP_TIMEOUT)
        if self._writer is not None:  # still stuck: not after the database closes
            self._writer.cancel()

    async def written(self, timeout: float | None = None) -> None:
        """Wait until the answers this process queued so far are written (reads of the inbox
        and the figures see what this process answered a moment ago); not for answers queued
        meanwhile, so a steady stream of answers cannot keep a reader waiting."""
        waiting = set(self._unwritten)
        deadline = None if timeout is None else time.monotonic() + timeout
        while waiting & self._unwritten:
            writer = self._writer
            if writer is None or writer.done():
                return  # nothing is writing them (stopped)
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return
            await asyncio.wait([writer], timeout=left)

    # ------------------------------------------------------------------ recording
    async def record(
        self,
        kind: AnswerKind,
        *,
        answer_id: int | None = None,
        question: str | None = None,
        entry_slug: str | None = None,
        best_slug: str | None = None,
    ) -> int:
        """Record a reply that showed knowledge under `answer_id` (the bot passes the
        interaction's id, which its vote buttons carried already; otherwise a new one).
        Nothing found makes the question a gap at once; closest matches wait for `settle`.
        Recording twice under one id counts once."""
        shown = self._shown(kind, answer_id, question, entry_slug, best_slug)
        await self._write([shown])
        return shown.answer_id

    def record_soon(
        self,
        kind: AnswerKind,
        *,
        answer_id: int,
        question: str | None = None,
        entry_slug: str | None = None,
        best_slug: str | None = None,
    ) -> None:
        """`record` without waiting: answers are written in batches, one transaction every
        `BATCH_DELAY` seconds however many replies there were (one write per reply held
        SQLite's lock so often that replies waited and writes failed). Votes, picks, choices
        and the inbox wait for an answer still on its way. A failed write is tried again
        (`WRITE_RETRIES`), then logged."""
        self._queue.append(self._shown(kind, answer_id, question, entry_slug, best_slug))
        self._unwritten.add(answer_id)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())

    def _shown(
        self,
        kind: AnswerKind,
        answer_id: int | None,
        question: str | None,
        entry_slug: str | None,
        best_slug: str | None,
    ) -> Shown:
        now = self.clock()
        normalized = normalize_question(question) if question else None
        self.answers[kind.value] += 1  # for /metrics: what this process answered
        self.gaps_counted += kind is AnswerKind.NOTHING and normalized is not None
        return Shown(
            snowflake_at(now) if answer_id is None else answer_id,
            kind,
            normalized,
            entry_slug,
            best_slug,
            now,
        )

    async def _write_queued(self) -> None:
        """Write what `record_soon` queued by the end of a `BATCH_DELAY` pause; what comes
        while it writes waits for the next writer, started at the end (so a steady stream
        of answers is written every half second, not in a loop that never ends)."""
        await asyncio.sleep(BATCH_DELAY)  # what comes meanwhile joins this batch
        queued, self._queue = self._queue, []
        for start in range(0, len(queued), BATCH_SIZE):
            batch = queued[start : start + BATCH_SIZE]
            try:
                await self._write_with_retries(batch)
            finally:
                self._unwritten.difference_update(shown.answer_id for shown in batch)
        if self._queue:
            self._writer = asyncio.create_task(self._write_queued())

    async def _write_with_retries(self, batch: list[Shown]) -> None:
        """`_write`, tried again after each of `WRITE_RETRIES` when it fails (it is one
        transaction, so a failed try wrote nothing); the last failure is logged."""
        for delay in (*WRITE_RETRIES, None):
            try:
                await self._write(batch)
                return
            except Exception:
                if delay is None:
                    log.exception("could not record %d answers", len(batch))
                    return
                log.warning("recording %d answers failed; trying again", len(batch))
                await asyncio.sleep(delay)

    async def _write(self, batch: list[Shown]) -> None:
        """Insert the answers of `batch` in one transaction and one statement, counting gaps
        for nothing found among those it inserted (an answer recorded already is skipped)."""
        new = list({shown.answer_id: shown for shown in batch}.values())  # each id once
        async with self.database.session() as session:
            inserted = await session.exec(
                self.database.insert(AnswerRow)
                .values(
                    [
                        {
                            "id": shown.answer_id,
                            "kind": shown.kind,
                            "question": shown.question,
                            "entry_slug": shown.entry_slug,
                            "best_slug": shown.best_slug,
                            "picked": False,
                            "settled": not (shown.kind is AnswerKind.MATCHES and shown.question),
                            "created_at": shown.at,
                        }
                        for shown in new
                    ]
                )
                .on_conflict_do_nothing()
                .returning(AnswerRow.id)
            )
            written = set(inserted.scalars())  # not those recorded already (a retry, a replica)
            # Each question once, in one order on every replica: two batches counting the same
            # questions in different orders deadlocked on PostgreSQL (now a test).
            unanswered: dict[str, list[Shown]] = {}
            for shown in new:
                if shown.answer_id not in written:
                    continue
                if shown.kind is AnswerKind.NOTHING and shown.question:
                    unanswered.setdefault(shown.question, []).append(shown)
            for question, askings in sorted(unanswered.items()):
                first = min(shown.at for shown in askings)
                await self._count_gap(session, question, None, first, times=len(askings))

    async def _answer_exists(self, answer_id: int) -> bool:
        """Whether answer `answer_id` is recorded, waiting for it while it may still be on its
        way: this process's write, or another replica's (a click can reach any replica, and
        the one that answered may not have committed yet). An answer older than the retention
        period is not waited for: it was swept."""
        deadline = time.monotonic() + ROW_WAIT
        if answer_id in self._unwritten:
            await self.written(ROW_WAIT)
        while True:
            async with self.database.session() as session:
                if await session.get(AnswerRow, answer_id) is not None:
                    return True
            if self.swept(answer_id) or time.monotonic() >= deadline:
                return False
            await asyncio.sleep(ROW_POLL)

    def swept(self, answer_id: int) -> bool:
        """Whether answer `answer_id` is older than the retention period."""
        return snowflake_time(answer_id) < self.clock() - self.retention

    async def pick(self, answer_id: int) -> None:
        """One of an answer's closest matches was opened: its question was answered."""
        if not await self._answer_exists(answer_id):
            return
        async with self.database.session() as session:
            await session.exec(
                update(AnswerRow).where(col(AnswerRow.id) == answer_id).values(picked=True)
            )

    async def claim_answer(self, answer_id: int, slug: str) -> tuple[Claim, str]:
        """A member chose `slug` among the matches offered for a message (*Answer with
        Nexus*). The first choice wins the answer (one conditional update, whichever replica
        makes it): it becomes a confident answer, whose votes are the reply's. Returns the
        outcome and the entry that answers: the winner's when the answer was taken."""
        if not await self._answer_exists(answer_id):
            return Claim.MISSING, slug
        async with self.database.session() as session:
            won = await session.exec(
                update(AnswerRow)
                .where(col(AnswerRow.id) == answer_id, col(AnswerRow.kind) == AnswerKind.MATCHES)
                .values(kind=AnswerKind.ANSWER, entry_slug=slug, picked=True, settled=True)
            )
            if won.rowcount == 1:
                return Claim.WON, slug
            answer = await session.get(AnswerRow, answer_id)
        return Claim.TAKEN, (answer.entry_slug if answer and answer.entry_slug else slug)

    async def reply_nonce(self, answer_id: int, channel_id: int) -> str:
        """The nonce of the reply to an offer: within Discord's nonce window, whatever is
        chosen and on whichever replica, a second post returns the first and posts nothing."""
        return await self.nonces("answer-with", answer_id, channel_id)

    async def vote(self, answer_id: int, member_id: int, helpful: bool) -> VoteOutcome:
        """Record a member's vote on an answer (a second click changes it). The first Not
        helpful on an answer makes its question a gap once more; taking back the last one
        takes that back."""
        if not await self._answer_exists(answer_id):
            return VoteOutcome.GONE if self.swept(answer_id) else VoteOutcome.UNKNOWN
        outcome = await self._vote(answer_id, member_id, helpful)
        if outcome in (VoteOutcome.NEW, VoteOutcome.CHANGED):
            self.votes["helpful" if helpful else "not_helpful"] += 1
        return outcome

    async def _vote(self, answer_id: int, member_id: int, helpful: bool) -> VoteOutcome:
        now = self.clock()
        async with self.database.session() as session:
            # A write first: it locks the answer (its row on PostgreSQL, the database on
            # SQLite), so votes on one answer are counted one after the other.
            locked = await session.exec(
                update(AnswerRow)
                .where(col(AnswerRow.id) == answer_id)
                .values(settled=AnswerRow.settled)
            )
            answer = await session.get(AnswerRow, answer_id) if locked.rowcount else None
            if answer is None:
                return VoteOutcome.GONE
            unhelpful_before = await self._unhelpful(session, answer_id)
            values = {"answer_id": answer_id, "member_id": member_id, "helpful": helpful}
            added = await session.exec(
                self.database.insert(VoteRow)
                .values(**values, voted_at=now)
                .on_conflict_do_nothing()
            )
            if added.rowcount == 1:
                outcome = VoteOutcome.NEW
                unhelpful_after = unhelpful_before + (not helpful)
            else:
                changed = await session.exec(
                    update(VoteRow)
                    .where(
                        col(VoteRow.answer_id) == answer_id,
                        col(VoteRow.member_id) == member_id,
                        col(VoteRow.helpful) != helpful,
                    )
                    .values(helpful=helpful, voted_at=now)
                )
                if changed.rowcount != 1:
                    return VoteOutcome.SAME
                outcome = VoteOutcome.CHANGED
                unhelpful_after = unhelpful_before + (-1 if helpful else 1)
            if answer.question and not unhelpful_before and unhelpful_after:
                await self._count_gap(
                    session, answer.question, answer.entry_slug, answer.created_at
                )
                self.gaps_counted += 1
            if answer.question and unhelpful_before and not unhelpful_after:
                await session.exec(
                    update(GapRow)
                    .where(
                        col(GapRow.question) == answer.question,
                        col(GapRow.count) > 0,
                        col(GapRow.first_seen) <= answer.created_at,  # not a later one's
                    )
                    .values(count=GapRow.count - 1)
                )
            return outcome

    @staticmethod
    async def _unhelpful(session: AsyncSession, answer_id: int) -> int:
        """How many members said an answer was not helpful."""
        return (
            await session.exec(
                select(func.count())
                .select_from(VoteRow)
                .where(col(VoteRow.answer_id) == answer_id, col(VoteRow.helpful).is_(False))
            )
        ).one()

    async def _count_gap(
        self,
        session: AsyncSession,
        question: str,
        best_slug: str | None,
        asked: datetime | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Count `times` more askings of `question` (the first made at `asked`, by default now)
        as a gap (one atomic upsert). A new gap is first seen when that asking was made, so the
        votes on its answer belong to it."""
        now = self.clock()
        insert = self.database.insert(GapRow).values(
            question=question,
            count=times,
            first_seen=asked or now,
            last_seen=now,
            best_slug=best_slug,
        )
        await session.exec(
            insert.on_conflict_do_update(
                index_elements=["question"],
                set_={
                    "count": GapRow.count + times,
                    "last_seen": now,
                    "best_slug": func.coalesce(insert.excluded.best_slug, GapRow.best_slug),
                },
            )
        )

    # ------------------------------------------------------------------ background work
    async def settle(self) -> int:
        """Closest matches nobody opened within `PICK_WINDOW`: their questions become gaps.
        Each answer is settled by one conditional update, so two replicas count it once."""
        await self.written()
        before = self.clock() - PICK_WINDOW
        async with self.database.session() as session:
            waiting = (
                await session.exec(
                    select(AnswerRow)
                    .where(
                        col(AnswerRow.settled).is_(False),
                        col(AnswerRow.picked).is_(False),
                        col(AnswerRow.created_at) < before,
                    )
                    .limit(SETTLE_BATCH)
                )
            ).all()
        gaps = 0
        for answer in waiting:
            async with self.database.session() as session:
                won = await session.exec(
                    update(AnswerRow)
                    .where(
                        col(AnswerRow.id) == answer.id,
                        col(AnswerRow.settled).is_(False),
                        col(AnswerRow.picked).is_(False),
                    )
                    .values(settled=True)
                )
                if won.rowcount == 1 and answer.question:
                    await self._count_gap(
                        session, answer.question, answer.best_slug, answer.created_at
                    )
                    gaps += 1
        self.gaps_counted += gaps
        async with self.database.session() as session:  # the picked ones: nothing to count
            await session.exec(
                update(AnswerRow)
                .where(col(AnswerRow.settled).is_(False), col(AnswerRow.picked).is_(True))
                .values(settled=True)
            )
        return gaps

    async def sweep(self) -> int:
        """Delete answers, votes and gaps older than the retention period."""
        before = self.clock() - self.retention
        async with self.database.session() as session:
            # Their votes go with them (ON DELETE CASCADE): the answer row is locked first,
            # as a vote locks it, so a vote and the sweep cannot deadlock.
            answers = await session.exec(
                delete(AnswerRow).where(col(AnswerRow.created_at) < before)
            )
            gaps = await session.exec(delete(GapRow).where(col(GapRow.last_seen) < before))
        removed = int(answers.rowcount) + int(gaps.rowcount)
        if removed:
            log.info(
                "feedback sweep: %d answers, %d gaps past retention",
                answers.rowcount,
                gaps.rowcount,
            )
        return removed

    # ------------------------------------------------------------------ the inbox
    async def gaps(self, days: int = 30, page: int = 1, per_page: int = PAGE_SIZE) -> Page[Gap]:
        """Page `page` of the gaps asked within `days`, most asked first (dismissed ones only
        once they came back `REAPPEAR_AFTER` times)."""
        await self.written()
        shown = (
            col(GapRow.count) > 0,
            col(GapRow.last_seen) >= self.clock() - timedelta(days=days),
            or_(
                col(GapRow.dismissed_at).is_(None),
                col(GapRow.count) >= col(GapRow.dismissed_at) + REAPPEAR_AFTER,
            ),
        )
        async with self.database.session() as session:
            total = (
                await session.exec(select(func.count()).select_from(GapRow).where(*shown))
            ).one()
            number, count = page_number(page, total, per_page)
            rows = (
                await session.exec(
                    select(GapRow)
                    .where(*shown)
                    .order_by(
                        col(GapRow.count).desc(), col(GapRow.last_seen).desc(), col(GapRow.id)
                    )
                    .offset((number - 1) * per_page)
                    .limit(per_page)
                )
            ).all()
            votes = await self._votes(session, list(rows))
        return Page(tuple(Gap.of(row, votes) for row in rows), number, count, total)

    @staticmethod
    async def _votes(session: AsyncSession, gaps: list[GapRow]) -> dict[tuple[str, bool], int]:
        """The votes on the answers to the gaps' questions since each gap was first seen, by
        question and Helpful or not."""
        if not gaps:
            return {}
        rows = await session.exec(
            select(AnswerRow.question, VoteRow.helpful, func.count())
            .join(AnswerRow, col(AnswerRow.id) == col(VoteRow.answer_id))
            .join(GapRow, col(GapRow.question) == col(AnswerRow.question))
            .where(
                col(GapRow.id).in_([gap.id for gap in gaps]),
                col(AnswerRow.created_at) >= col(GapRow.first_seen),
            )
            .group_by(col(AnswerRow.question), col(VoteRow.helpful))
        )
        return {(str(question), bool(helpful)): count for question, helpful, count in rows}

    async def gap(self, gap_id: int) -> Gap:
        """One gap, or a `UserError` when it was answered, dismissed away or swept."""
        async with self.database.session() as session:
            row = await session.get(GapRow, gap_id)
            if row is None:
                raise UserError("That question is no longer in the inbox.")
            return Gap.of(row, await self._votes(session, [row]))

    async def dismiss(self, gap_id: int) -> Gap:
        """Hide a gap until it is asked `REAPPEAR_AFTER` more times."""
        async with self.database.session() as session:
            await session.exec(
                update(GapRow).where(col(GapRow.id) == gap_id).values(dismissed_at=GapRow.count)
            )
        return await self.gap(gap_id)

    async def answer(self, gap_id: int, slug: str, actor: Actor) -> Change:
        """Add the gap's question to an entry's learner questions (a new version, audited,
        live at once) and take it out of the inbox."""
        gap = await self.gap(gap_id)
        return await self.add_question(slug, gap.question, actor)

    async def add_question(self, slug: str, question: str, actor: Actor) -> Change:
        """Add a learner question to an entry; the inbox forgets that question."""
        change = await self.content.add_question(slug, " ".join(question.split()), actor)
        normalized = normalize_question(question)
        async with self.database.session() as session:
            await session.exec(delete(GapRow).where(col(GapRow.question) == normalized))
        return change

    async def questions_like(self, text: str, limit: int = 25) -> list[str]:
        """Inbox questions containing `text`, most asked first (for autocomplete, which does
        not wait for answers still being written)."""
        needle = normalize_question(text) or ""
        async with self.database.session() as session:
            rows = await session.exec(
                select(GapRow.question)
                .where(
                    col(GapRow.count) > 0, col(GapRow.question).contains(needle, autoescape=True)
                )
                .order_by(col(GapRow.count).desc(), col(GapRow.id))
                .limit(limit)
            )
            return list(rows.all())

    # ------------------------------------------------------------------ figures
    async def stats(self) -> KnowledgeStats:
        """The last weeks' answer rate and votes, and the most opened entries."""
        await self.written()
        return await knowledge_stats(self.database, self.clock())

    async def entry_stats(self, slug: str) -> EntryStats:
        """One entry's opens and votes (within the retention period)."""
        await self.written()
        return await entry_stats(self.database, slug)
