"""Two replicas on one database: a click may reach the replica that did not answer, even
before the answer is committed, and background work runs on both."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.db import Database
from bot.db.models import AnswerKind
from bot.feedback import Claim, FeedbackService, VoteOutcome
from bot.feedback.service import PICK_WINDOW, Shown, snowflake_at
from bot.knowledge.service import KnowledgeService
from bot.moderation.content import ContentService
from tests.helpers import DOCKER, Clock, write_entry


@pytest.fixture
async def other(feedback: FeedbackService, tmp_path: Path) -> AsyncIterator[FeedbackService]:
    """A second replica: its own connections to the same database, the same clock."""
    database = Database(feedback.database.url)
    root = tmp_path / "other"
    write_entry(root, DOCKER)
    knowledge = KnowledgeService(database, root)
    await knowledge.start()
    yield FeedbackService(database, ContentService(knowledge), clock=feedback.clock)
    await database.dispose()


async def committed_late(
    replica: FeedbackService, gate: asyncio.Event, write: Callable[[], Awaitable[Any]]
) -> asyncio.Task[Any]:
    """Start `write` on `replica` with its transactions held open until `gate` is set."""
    session = replica.database.session

    @asynccontextmanager
    async def held() -> AsyncIterator[Any]:
        async with session() as opened:
            yield opened
            await gate.wait()

    replica.database.session = held  # type: ignore[method-assign]
    task = asyncio.create_task(write())
    await asyncio.sleep(0.3)  # the answer is written, not committed
    replica.database.session = session  # type: ignore[method-assign]
    return task


async def test_a_vote_reaching_the_other_replica_first_waits_for_the_answer(
    feedback: FeedbackService, other: FeedbackService
) -> None:
    gate, answer = asyncio.Event(), snowflake_at(feedback.clock())  # an interaction's id
    answering = await committed_late(
        feedback,
        gate,
        lambda: feedback.record(
            AnswerKind.ANSWER, answer_id=answer, question="run my app", entry_slug="docker"
        ),
    )
    voting = asyncio.create_task(other.vote(answer, 11, helpful=False))
    await asyncio.sleep(0.3)
    gate.set()
    await answering
    assert await voting is VoteOutcome.NEW
    [gap] = (await feedback.gaps()).items
    assert (gap.question, gap.count, gap.not_helpful) == ("run my app", 1, 1)


async def test_a_pick_reaching_the_other_replica_first_is_not_a_gap(
    feedback: FeedbackService, other: FeedbackService
) -> None:
    gate, answer = asyncio.Event(), snowflake_at(feedback.clock())
    answering = await committed_late(
        feedback,
        gate,
        lambda: feedback.record(
            AnswerKind.MATCHES, answer_id=answer, question="ship my app", best_slug="docker"
        ),
    )
    picking = asyncio.create_task(other.pick(answer))
    await asyncio.sleep(0.3)
    gate.set()
    await asyncio.gather(answering, picking)
    later = feedback.clock
    assert isinstance(later, Clock)
    later.now += PICK_WINDOW + timedelta(seconds=1)
    assert await asyncio.gather(feedback.settle(), other.settle()) == [0, 0]


async def test_the_first_choice_answers_a_message_whichever_replica_takes_it(
    feedback: FeedbackService, other: FeedbackService
) -> None:
    offer = await feedback.record(AnswerKind.MATCHES, question="ship my app", best_slug="docker")
    claims = await asyncio.gather(
        feedback.claim_answer(offer, "docker"), other.claim_answer(offer, "celery")
    )
    outcomes = sorted(outcome for outcome, _ in claims)
    assert outcomes == [Claim.TAKEN, Claim.WON]
    assert claims[0][1] == claims[1][1]  # the later one learns the winner's entry
    assert await other.claim_answer(offer, "kubernetes") == (Claim.TAKEN, claims[0][1])
    assert await feedback.claim_answer(12345, "docker") == (Claim.MISSING, "docker")  # swept
    assert await feedback.reply_nonce(offer, 1) == await other.reply_nonce(offer, 1)


async def test_a_vote_and_the_sweep_on_two_replicas_do_not_deadlock(
    feedback: FeedbackService, other: FeedbackService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vote holds its answer while the other replica sweeps it away."""
    answer = await feedback.record(AnswerKind.ANSWER, question="old one", entry_slug="docker")
    await feedback.vote(answer, 1, helpful=False)
    counting = FeedbackService._unhelpful

    async def slowly(session: Any, answer_id: int) -> int:
        await asyncio.sleep(0.3)  # the sweep starts meanwhile
        return await counting(session, answer_id)

    monkeypatch.setattr(FeedbackService, "_unhelpful", staticmethod(slowly))
    clock = feedback.clock
    assert isinstance(clock, Clock)
    clock.now += feedback.retention + timedelta(seconds=1)

    async def sweep_meanwhile() -> int:
        await asyncio.sleep(0.1)
        return await other.sweep()

    voted, swept = await asyncio.gather(feedback.vote(answer, 1, helpful=True), sweep_meanwhile())
    assert (voted, swept) == (VoteOutcome.CHANGED, 2)  # the answer (its votes) and its gap
    assert await feedback.vote(answer, 2, helpful=True) is VoteOutcome.GONE


async def test_two_replicas_writing_the_same_questions_in_other_orders_do_not_deadlock(
    feedback: FeedbackService, other: FeedbackService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch counts the questions /learn found nothing for; two replicas' batches with the
    same questions, asked in opposite orders, each count both (a lost batch loses answers)."""
    counting = FeedbackService._count_gap
    counted_first = [asyncio.Event(), asyncio.Event()]

    def replica_counting(replica: int) -> Callable[..., Awaitable[None]]:
        async def count_then_wait(*args: Any, **options: Any) -> None:
            await counting(replica_of[replica], *args, **options)
            counted_first[replica].set()
            with contextlib.suppress(TimeoutError):  # the other is blocked by this one
                await asyncio.wait_for(counted_first[1 - replica].wait(), 0.5)

        return count_then_wait

    replica_of = [feedback, other]
    for n, replica in enumerate(replica_of):
        monkeypatch.setattr(replica, "_count_gap", replica_counting(n))
    now = feedback.clock()

    def batch(*questions: str) -> list[Shown]:
        return [Shown(snowflake_at(now), AnswerKind.NOTHING, q, None, None, now) for q in questions]

    await asyncio.gather(
        feedback._write(batch("first question", "second question")),
        other._write(batch("second question", "first question")),
    )
    page = await feedback.gaps()
    assert sorted((g.question, g.count) for g in page.items) == [
        ("first question", 2),
        ("second question", 2),
    ]


async def test_a_batch_counts_a_question_asked_twice_in_it_twice(
    feedback: FeedbackService,
) -> None:
    now = feedback.clock()
    await feedback._write(
        [
            Shown(snowflake_at(now), AnswerKind.NOTHING, "my api is slow", None, None, now),
            Shown(snowflake_at(now), AnswerKind.OPENED, None, "docker", None, now),
            Shown(snowflake_at(now), AnswerKind.NOTHING, "my api is slow", None, None, now),
        ]
    )
    [gap] = (await feedback.gaps()).items
    assert (gap.question, gap.count, gap.first_seen) == ("my api is slow", 2, now)


async def test_settling_and_sweeping_on_both_replicas_count_once(
    feedback: FeedbackService, other: FeedbackService
) -> None:
    for n in range(20):
        await feedback.record(AnswerKind.MATCHES, question=f"m {n}", best_slug="docker")
    clock = feedback.clock
    assert isinstance(clock, Clock)
    clock.now += PICK_WINDOW + timedelta(seconds=1)
    counted = await asyncio.gather(feedback.settle(), other.settle(), feedback.settle())
    assert sum(counted) == 20
    page = await feedback.gaps(per_page=100)
    assert [g.count for g in page.items] == [1] * 20
    clock.now += feedback.retention + timedelta(days=1)
    swept = await asyncio.gather(feedback.sweep(), other.sweep())
    assert sum(swept) == 40 and (await feedback.gaps()).total == 0


async def test_weeks_are_utc_weeks_whatever_the_servers_time_zone(
    feedback: FeedbackService,
) -> None:
    """An answer given on a Monday at 02:00 UTC is in that Monday's week, also on a
    PostgreSQL server set to New York time."""
    database = feedback.database
    if not database.is_sqlite:
        url = make_url(database.url)
        server = await asyncpg.connect(
            url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        zone = "SET timezone TO 'America/New_York'"
        await server.execute(f'ALTER DATABASE "{url.database}" {zone}')
        await server.close()
        await database.engine.dispose()  # new connections take the setting
    monday_2am = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    clock = feedback.clock
    assert isinstance(clock, Clock)
    clock.now = monday_2am
    await feedback.record(AnswerKind.NOTHING, question="anything")
    clock.now = monday_2am + timedelta(hours=1)
    weeks = (await feedback.stats()).weeks
    assert (weeks[-1].start, weeks[-1].questions) == (monday_2am.date(), 1)


async def test_one_answer_recorded_by_both_replicas_counts_its_gap_once(
    feedback: FeedbackService, other: FeedbackService
) -> None:
    """When the database is too slow to claim an interaction, both replicas answer it, and
    both record the same answer: its unanswered question counts once."""
    now = feedback.clock()
    for n in range(4):
        shown = Shown(snowflake_at(now), AnswerKind.NOTHING, f"question {n}", None, None, now)
        await asyncio.gather(feedback._write([shown]), other._write([shown]))
    page = await feedback.gaps(per_page=10)
    assert sorted(g.count for g in page.items) == [1, 1, 1, 1]
