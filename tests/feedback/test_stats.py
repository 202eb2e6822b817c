"""`/content stats` figures: weeks, answer rate, votes, most opened; and their chart."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db.models import AnswerKind
from bot.feedback import FeedbackService
from bot.feedback.chart import weekly_chart
from bot.feedback.stats import WEEKS
from tests.helpers import NOW, Clock

ADA, LINUS = 11, 12


async def test_weeks_count_questions_confident_answers_and_votes(
    feedback: FeedbackService,
) -> None:
    clock = feedback.clock
    assert isinstance(clock, Clock)
    clock.now = NOW - timedelta(weeks=1)  # last week: two questions, one answered
    last_week = await feedback.record(AnswerKind.ANSWER, question="docker", entry_slug="docker")
    await feedback.record(AnswerKind.NOTHING, question="what is a monad")
    await feedback.vote(last_week, ADA, helpful=True)
    clock.now = NOW  # this week: three questions, two answered, one opened from a button
    for _ in range(2):
        await feedback.record(AnswerKind.ANSWER, question="containers", entry_slug="docker")
    opened = await feedback.record(AnswerKind.OPENED, entry_slug="celery")
    await feedback.record(AnswerKind.MATCHES, question="my server", best_slug="docker")
    await feedback.vote(opened, ADA, helpful=False)
    await feedback.vote(opened, LINUS, helpful=True)

    stats = await feedback.stats()
    assert len(stats.weeks) == WEEKS and stats.weeks[-1].start.weekday() == 0
    *_, before, now = stats.weeks
    assert (before.questions, before.answered, before.helpful, before.not_helpful) == (2, 1, 1, 0)
    assert (now.questions, now.answered, now.helpful, now.not_helpful) == (3, 2, 1, 1)
    assert now.answer_rate == pytest.approx(2 / 3) and now.helpful_share == 0.5
    assert stats.weeks[0].answer_rate is None  # nobody asked then
    assert stats.total.questions == 5 and stats.total.answered == 3
    assert stats.top == (("docker", 3), ("celery", 1))

    docker = await feedback.entry_stats("docker")
    assert (docker.opens, docker.helpful, docker.not_helpful) == (3, 1, 0)
    assert docker.last_opened == NOW
    never = await feedback.entry_stats("kubernetes")
    assert (never.opens, never.last_opened) == (0, None)


async def test_answers_older_than_the_weeks_shown_are_left_out(feedback: FeedbackService) -> None:
    clock = feedback.clock
    assert isinstance(clock, Clock)
    clock.now = NOW - timedelta(weeks=WEEKS)
    await feedback.record(AnswerKind.NOTHING, question="long ago")
    clock.now = NOW
    assert (await feedback.stats()).total.questions == 0


async def test_the_chart_is_a_png_with_or_without_questions(feedback: FeedbackService) -> None:
    empty = weekly_chart(await feedback.stats())
    await feedback.record(AnswerKind.ANSWER, question="docker", entry_slug="docker")
    drawn = weekly_chart(await feedback.stats())
    assert empty.startswith(b"\x89PNG") and drawn.startswith(b"\x89PNG") and empty != drawn
