"""The feedback service: answers, votes, the gap inbox and its retention, on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.db.models import AnswerKind, AnswerRow, AuditRow, GapRow, VoteRow
from bot.errors import UserError
from bot.feedback import FeedbackService, VoteOutcome, normalize_question
from bot.feedback.service import PAGE_SIZE, PICK_WINDOW, REAPPEAR_AFTER, snowflake_at
from bot.moderation.content import Actor
from tests.helpers import Clock

GRACE = Actor(1, "grace")
ADA, LINUS = 11, 12


def later(feedback: FeedbackService, by: timedelta) -> None:
    clock = feedback.clock
    assert isinstance(clock, Clock)
    clock.now += by


async def gap_rows(feedback: FeedbackService) -> list[GapRow]:
    async with feedback.database.session() as session:
        return list((await session.exec(select(GapRow))).all())


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  How do I   Deploy?? ", "how do i deploy"),
        ("<@123> <@!4> <@&5> <#6> @everyone what is celery", "what is celery"),
        ("ＤＯＣＫＥＲ\x00\u200b", "docker"),
        ("?!", None),
        ("x" * 500, "x" * 200),
    ],
)
def test_questions_are_kept_in_one_form_without_ids(typed: str, kept: str | None) -> None:
    assert normalize_question(typed) == kept


async def test_nothing_found_is_a_gap_at_once_and_counted_by_its_words(
    feedback: FeedbackService,
) -> None:
    await feedback.record(AnswerKind.NOTHING, question="How do I center a div?")
    await feedback.record(AnswerKind.NOTHING, question="how do i CENTER a div")
    page = await feedback.gaps()
    assert [(g.question, g.count) for g in page.items] == [("how do i center a div", 2)]


async def test_closest_matches_are_a_gap_only_when_nobody_opens_one(
    feedback: FeedbackService,
) -> None:
    opened = await feedback.record(AnswerKind.MATCHES, question="ship my app", best_slug="docker")
    await feedback.record(AnswerKind.MATCHES, question="box my app", best_slug="docker")
    await feedback.pick(opened)
    assert await feedback.settle() == 0  # too early: a learner may still open one
    later(feedback, PICK_WINDOW + timedelta(seconds=1))
    assert await feedback.settle() == 1
    assert await feedback.settle() == 0  # settled once
    [gap] = (await feedback.gaps()).items
    assert (gap.question, gap.best_slug, gap.count) == ("box my app", "docker", 1)


async def test_two_replicas_settling_at_once_count_each_question_once(
    feedback: FeedbackService,
) -> None:
    for n in range(5):
        await feedback.record(AnswerKind.MATCHES, question=f"question {n}", best_slug="docker")
    later(feedback, PICK_WINDOW + timedelta(seconds=1))
    assert sum(await asyncio.gather(feedback.settle(), feedback.settle())) == 5
    assert sorted(g.count for g in (await feedback.gaps()).items) == [1, 1, 1, 1]  # page of 4


async def test_one_vote_per_member_per_answer_and_a_second_click_changes_it(
    feedback: FeedbackService,
) -> None:
    answer = await feedback.record(AnswerKind.ANSWER, question="run my app", entry_slug="docker")
    assert await feedback.vote(answer, ADA, helpful=False) is VoteOutcome.NEW
    assert await feedback.vote(answer, ADA, helpful=False) is VoteOutcome.SAME
    [gap] = (await feedback.gaps()).items
    assert (gap.count, gap.not_helpful, gap.helpful, gap.best_slug) == (1, 1, 0, "docker")
    assert await feedback.vote(answer, LINUS, helpful=True) is VoteOutcome.NEW
    assert await feedback.vote(answer, ADA, helpful=True) is VoteOutcome.CHANGED
    [row] = await gap_rows(feedback)
    assert row.count == 0 and (await feedback.gaps()).items == ()  # nobody finds it unhelpful
    assert row.id is not None
    assert ((gap := await feedback.gap(row.id)).helpful, gap.not_helpful) == (2, 0)
    async with feedback.database.session() as session:
        votes = (await session.exec(select(VoteRow))).all()
    assert sorted((v.member_id, v.helpful) for v in votes) == [(ADA, True), (LINUS, True)]


async def test_the_gap_table_holds_no_member_ids(feedback: FeedbackService) -> None:
    answer = await feedback.record(AnswerKind.ANSWER, question="<@11> help", entry_slug="docker")
    await feedback.vote(answer, ADA, helpful=False)
    assert set(GapRow.model_fields) == {
        "id",
        "question",
        "count",
        "first_seen",
        "last_seen",
        "best_slug",
        "dismissed_at",
    }
    [row] = await gap_rows(feedback)
    assert "11" not in row.question


async def test_a_vote_on_a_swept_answer_is_told_apart(feedback: FeedbackService) -> None:
    answer = await feedback.record(AnswerKind.OPENED, entry_slug="docker")
    later(feedback, feedback.retention + timedelta(days=1))
    await feedback.sweep()
    assert await feedback.vote(answer, ADA, helpful=True) is VoteOutcome.GONE


async def test_retention_sweeps_old_answers_votes_and_gaps(feedback: FeedbackService) -> None:
    old = await feedback.record(AnswerKind.ANSWER, question="old one", entry_slug="docker")
    await feedback.vote(old, ADA, helpful=False)
    later(feedback, feedback.retention - timedelta(days=1))
    await feedback.record(AnswerKind.NOTHING, question="recent one")
    later(feedback, timedelta(days=2))
    assert await feedback.sweep() == 2  # the old answer and its gap (its vote goes with it)
    assert [g.question for g in await gap_rows(feedback)] == ["recent one"]
    async with feedback.database.session() as session:
        assert (await session.exec(select(VoteRow))).all() == []


async def test_the_inbox_pages_most_asked_first_within_the_days_asked(
    feedback: FeedbackService,
) -> None:
    for n in range(PAGE_SIZE + 2):
        for _ in range(n + 1):
            await feedback.record(AnswerKind.NOTHING, question=f"question {n}")
    first, second = await feedback.gaps(page=1), await feedback.gaps(page=2)
    assert [g.count for g in first.items] == [6, 5, 4, 3] and (first.count, first.total) == (2, 6)
    assert [g.count for g in second.items] == [2, 1]
    assert (await feedback.gaps(page=99)).number == 2
    later(feedback, timedelta(days=8))
    await feedback.record(AnswerKind.NOTHING, question="this week")
    assert [g.question for g in (await feedback.gaps(days=7)).items] == ["this week"]


async def test_a_dismissed_gap_comes_back_when_asked_again_enough(
    feedback: FeedbackService,
) -> None:
    await feedback.record(AnswerKind.NOTHING, question="what is a monad")
    [gap] = (await feedback.gaps()).items
    await feedback.dismiss(gap.id)
    for _ in range(REAPPEAR_AFTER - 1):
        await feedback.record(AnswerKind.NOTHING, question="what is a monad")
    assert (await feedback.gaps()).items == ()
    await feedback.record(AnswerKind.NOTHING, question="what is a monad")
    assert [g.count for g in (await feedback.gaps()).items] == [1 + REAPPEAR_AFTER]


async def test_answering_a_gap_adds_the_question_to_the_entry_live_and_audited(
    feedback: FeedbackService,
) -> None:
    question = "my laptop and the server behave differently"
    await feedback.record(AnswerKind.NOTHING, question=question)
    [gap] = (await feedback.gaps()).items
    change = await feedback.answer(gap.id, "docker", GRACE)
    assert question in change.entry.questions and change.version == 2
    assert feedback.content.knowledge.search(question).hits[0].slug == "docker"
    assert (await feedback.gaps()).items == ()
    with pytest.raises(UserError, match="no longer in the inbox"):
        await feedback.answer(gap.id, "docker", GRACE)
    async with feedback.database.session() as session:
        audits = (await session.exec(select(AuditRow).where(AuditRow.target == "docker"))).all()
    assert [(a.action, a.actor_name) for a in audits] == [("content.edit", "grace")]


async def test_a_gap_is_not_lost_when_its_entry_cannot_take_it(
    feedback: FeedbackService,
) -> None:
    await feedback.record(AnswerKind.NOTHING, question="x" * 150)  # longer than a question may be
    [gap] = (await feedback.gaps()).items
    with pytest.raises(UserError):
        await feedback.answer(gap.id, "docker", GRACE)
    assert [g.id for g in (await feedback.gaps()).items] == [gap.id]


async def test_the_inbox_shows_the_votes_cast_whatever_their_order(
    feedback: FeedbackService,
) -> None:
    """Helpful before the question was a gap, then changes of mind: the counts are the votes."""
    answer = await feedback.record(AnswerKind.ANSWER, question="run my app", entry_slug="docker")
    await feedback.vote(answer, 1, helpful=True)  # not a gap yet
    await feedback.vote(answer, 2, helpful=False)
    await feedback.vote(answer, 3, helpful=True)
    await feedback.vote(answer, 1, helpful=False)
    [gap] = (await feedback.gaps()).items
    assert (gap.helpful, gap.not_helpful) == (1, 2)


async def test_one_asking_counts_once_however_many_say_not_helpful(
    feedback: FeedbackService,
) -> None:
    public = await feedback.record(AnswerKind.ANSWER, question="run my app", entry_slug="docker")
    for member in (1, 2, 3):
        await feedback.vote(public, member, helpful=False)
    [gap] = (await feedback.gaps()).items
    assert (gap.count, gap.not_helpful) == (1, 3)
    await feedback.vote(public, 1, helpful=True)
    await feedback.vote(public, 2, helpful=True)
    assert [g.count for g in (await feedback.gaps()).items] == [1]  # one still says so
    await feedback.vote(public, 3, helpful=True)
    assert (await feedback.gaps()).items == ()


async def test_many_votes_at_once_count_exactly(feedback: FeedbackService) -> None:
    answer = await feedback.record(AnswerKind.ANSWER, question="busy", entry_slug="docker")
    await asyncio.gather(*(feedback.vote(answer, m, helpful=m % 3 != 0) for m in range(1, 31)))
    [gap] = (await feedback.gaps()).items
    assert (gap.count, gap.helpful, gap.not_helpful) == (1, 20, 10)


async def test_a_vote_racing_the_retention_sweep_is_told_apart(
    feedback: FeedbackService,
) -> None:
    for member in range(5):
        answer = await feedback.record(AnswerKind.OPENED, entry_slug="docker")
        later(feedback, feedback.retention + timedelta(seconds=1))
        _, outcome = await asyncio.gather(
            feedback.sweep(), feedback.vote(answer, member, helpful=True)
        )
        assert outcome in (VoteOutcome.GONE, VoteOutcome.NEW)
    async with feedback.database.session() as session:
        assert len((await session.exec(select(VoteRow))).all()) <= 5


async def test_inbox_questions_match_what_was_typed_literally(feedback: FeedbackService) -> None:
    await feedback.record(AnswerKind.NOTHING, question="100% cpu on my server")
    await feedback.record(AnswerKind.NOTHING, question="1000 cpus")
    assert await feedback.questions_like("100%") == ["100% cpu on my server"]
    assert await feedback.questions_like("_") == []


async def test_taking_back_an_old_vote_leaves_a_newer_gap_alone(feedback: FeedbackService) -> None:
    old = await feedback.record(AnswerKind.ANSWER, question="my app is slow", entry_slug="docker")
    await feedback.vote(old, ADA, helpful=False)
    [gap] = (await feedback.gaps()).items
    await feedback.answer(gap.id, "docker", GRACE)  # answered: out of the inbox
    later(feedback, timedelta(days=1))
    await feedback.record(AnswerKind.NOTHING, question="my app is slow")  # asked again
    await feedback.vote(old, ADA, helpful=True)
    [again] = (await feedback.gaps()).items
    assert (again.count, again.helpful, again.not_helpful) == (1, 0, 0)


async def test_a_steady_stream_of_answers_keeps_no_reader_waiting(
    feedback: FeedbackService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers are written every half second; the inbox waits only for those queued before,
    even when each write takes longer than the time between two answers."""
    write = feedback._write

    async def slow_write(batch: list[Any]) -> None:
        await asyncio.sleep(0.02)
        await write(batch)

    monkeypatch.setattr(feedback, "_write", slow_write)
    feedback.record_soon(AnswerKind.NOTHING, answer_id=1, question="first question")
    streaming = True

    async def stream() -> None:
        n = 2
        while streaming:
            feedback.record_soon(AnswerKind.OPENED, answer_id=n, entry_slug="docker")
            n += 1
            await asyncio.sleep(0.005)

    running = asyncio.create_task(stream())
    try:
        page = await asyncio.wait_for(feedback.gaps(), timeout=2.5)
    finally:
        streaming = False
        await running
    assert [g.question for g in page.items] == ["first question"]
    await feedback.written()
    async with feedback.database.session() as session:
        assert len((await session.exec(select(AnswerRow))).all()) > 2


async def test_a_vote_on_an_answer_lost_in_a_crash_says_so(
    feedback: FeedbackService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers wait up to half a second to be written: a crash then loses their record. A vote
    on one waits for it a while, then says it could not be recorded (not "too old")."""
    monkeypatch.setattr("bot.feedback.service.ROW_WAIT", 0.3)
    never_written = snowflake_at(feedback.clock())
    assert await feedback.vote(never_written, ADA, helpful=False) is VoteOutcome.UNKNOWN
    assert (await feedback.gaps()).items == ()


async def test_a_batch_whose_write_fails_once_is_written_by_the_next_try(
    feedback: FeedbackService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A locked database or a dropped connection fails one try of a batch: its answers are
    written by the next try, not given up."""
    monkeypatch.setattr("bot.feedback.service.WRITE_RETRIES", (0.01, 0.01))
    write = feedback._write
    tries = 0

    async def flaky_write(batch: list[Any]) -> None:
        nonlocal tries
        tries += 1
        if tries == 1:
            raise OSError("connection reset")
        await write(batch)

    monkeypatch.setattr(feedback, "_write", flaky_write)
    answer = snowflake_at(feedback.clock())
    feedback.record_soon(AnswerKind.NOTHING, answer_id=answer, question="my api is slow")
    assert await feedback.vote(answer, ADA, helpful=False) is VoteOutcome.NEW
    assert tries == 2
    assert [g.question for g in (await feedback.gaps()).items] == ["my api is slow"]


async def test_a_batch_that_never_writes_is_given_up_and_logged(
    feedback: FeedbackService, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("bot.feedback.service.WRITE_RETRIES", (0.01, 0.01))
    monkeypatch.setattr("bot.feedback.service.ROW_WAIT", 0.3)
    tries = 0

    async def failing_write(batch: list[Any]) -> None:
        nonlocal tries
        tries += 1
        raise OSError("disk full")

    monkeypatch.setattr(feedback, "_write", failing_write)
    answer = snowflake_at(feedback.clock())
    feedback.record_soon(AnswerKind.OPENED, answer_id=answer, entry_slug="docker")
    await feedback.written()
    assert tries == 3
    assert "could not record 1 answers" in caplog.text
    assert await feedback.vote(answer, ADA, helpful=True) is VoteOutcome.UNKNOWN
