"""Compatibility scores: time-zone overlap, shared tags, history penalty, avoid lists."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import numpy as np
import pytest

from bot.pairing import scoring
from bot.pairing.model import Learner
from bot.pairing.scoring import (
    avoid_matrix,
    compatibility,
    jaccard_matrix,
    normalize_tags,
    overlap_hours,
    overlap_matrix,
    repeat_counts,
    score_matrix,
    utc_offset_hours,
)
from tests.pairing.helpers import SUMMER, WINTER, person, random_avoid, random_past, random_pool


def score_of(a: Learner, b: Learner, **kwargs: Any) -> float:
    """The compatibility of a permitted pair."""
    value = compatibility(a, b, at=SUMMER, **kwargs)
    assert value is not None
    return value


def zone_overlap(first: str, second: str, at: datetime) -> float:
    return overlap_hours(utc_offset_hours(first, at), utc_offset_hours(second, at))


def test_weights_add_up_to_one() -> None:
    total = scoring.OVERLAP_WEIGHT + scoring.STACK_WEIGHT + scoring.INTEREST_WEIGHT
    assert total == pytest.approx(1.0)
    assert scoring.WORKDAY_HOURS == 9.0


def test_lagos_and_nairobi_share_seven_hours() -> None:
    assert zone_overlap("Africa/Lagos", "Africa/Nairobi", SUMMER) == 7.0
    assert zone_overlap("Africa/Lagos", "Africa/Nairobi", WINTER) == 7.0


def test_lagos_and_los_angeles_barely_overlap() -> None:
    assert zone_overlap("Africa/Lagos", "America/Los_Angeles", SUMMER) == 1.0  # PDT, UTC-7
    assert zone_overlap("Africa/Lagos", "America/Los_Angeles", WINTER) == 0.0  # PST, UTC-8


def test_daylight_saving_time_is_taken_at_the_reference_instant() -> None:
    # London is on UTC+1 in summer (as Lagos is) and UTC+0 in winter.
    assert zone_overlap("Africa/Lagos", "Europe/London", SUMMER) == 9.0
    assert zone_overlap("Africa/Lagos", "Europe/London", WINTER) == 8.0
    # Between the US (9 March) and the UK (30 March) switches of 2025, New York is only four
    # hours behind London.
    gap = datetime(2025, 3, 20, 12, 0)
    assert zone_overlap("Europe/London", "America/New_York", gap) == 5.0
    assert zone_overlap("Europe/London", "America/New_York", WINTER) == 4.0


def test_overlap_wraps_around_midnight() -> None:
    assert overlap_hours(14.0, -10.0) == 9.0  # Kiritimati and Honolulu: same clock time
    assert overlap_hours(12.0, -11.0) == 8.0  # 23 hours apart is 1 hour apart
    assert overlap_hours(5.5, -3.5) == 0.0
    assert overlap_hours(5.75, 0.0) == pytest.approx(3.25)
    assert zone_overlap("Pacific/Kiritimati", "Pacific/Honolulu", SUMMER) == 9.0


def test_overlap_of_a_group_is_the_time_all_share() -> None:
    assert overlap_hours(1.0) == 9.0
    assert overlap_hours() == 0.0
    assert overlap_hours(1.0, 3.0, 0.0) == 6.0  # UTC 09:00-15:00
    assert overlap_hours(1.0, 3.0, -5.0) == 1.0  # UTC 14:00-15:00
    assert overlap_hours(1.0, 3.0, -6.0) == 0.0
    assert overlap_hours(13.0, -10.0, 14.0) == 8.0


def test_overlap_matrix_agrees_with_the_scalar_overlap() -> None:
    rng = random.Random(7)
    offsets = [-11, -9.5, -8, -3.5, 0, 1, 2, 3, 5.5, 5.75, 8, 9.5, 12.75, 13, 14]
    rows = [rng.choice(offsets) for _ in range(40)]
    cols = [rng.choice(offsets) for _ in range(30)]
    matrix = overlap_matrix(rows, cols)
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            assert matrix[i, j] == pytest.approx(overlap_hours(row, col))
    assert matrix.min() >= 0.0 and matrix.max() <= 9.0


def test_unknown_time_zone_is_a_value_error() -> None:
    for name in ("Mars/Olympus_Mons", "", "../../etc/passwd", "Africa"):
        with pytest.raises(ValueError, match="unknown time zone"):
            utc_offset_hours(name, SUMMER)


def test_naive_reference_instant_is_utc() -> None:
    naive = datetime(2025, 7, 1, 12, 0)
    assert utc_offset_hours("Europe/London", naive) == utc_offset_hours("Europe/London", SUMMER)


def test_tags_compare_case_insensitively() -> None:
    assert normalize_tags({" React ", "DOCKER", "", "Next  JS"}) == {"react", "docker", "next js"}
    similarity = jaccard_matrix(
        [normalize_tags({"React", "Docker"}), frozenset()],
        [normalize_tags({"react", "DOCKER ", "graphql"}), frozenset()],
    )
    assert similarity[0, 0] == pytest.approx(2 / 3)
    assert similarity[1, 1] == 0.0  # two empty sets share nothing
    assert similarity[0, 1] == 0.0


def test_shared_stack_and_interests_raise_the_score() -> None:
    front = person(1, "frontend", stack={"React", "GraphQL"}, interests={"fintech"})
    alike = person(2, "backend", stack={"django", "graphql"}, interests={"FinTech"})
    unlike = person(3, "backend", stack={"flask"}, interests={"gaming"})
    assert score_of(front, alike) > score_of(front, unlike)
    # Same time zone, nothing shared: the overlap part alone.
    assert score_of(front, unlike) == pytest.approx(scoring.OVERLAP_WEIGHT)


def test_repeat_penalty_grows_with_repeats() -> None:
    front, back = person(1, "frontend"), person(2, "backend")
    pair = frozenset((1, 2))
    scores = [score_of(front, back, past_partners=[pair] * rounds) for rounds in range(4)]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 4
    assert scores[0] - scores[2] == pytest.approx(2 * scoring.REPEAT_PENALTY)


def test_repeat_counts_split_past_trios_into_pairs() -> None:
    counts = repeat_counts([frozenset((1, 2)), frozenset((2, 1)), frozenset((1, 2, 3))])
    assert counts[frozenset((1, 2))] == 3
    assert counts[frozenset((1, 3))] == 1
    assert counts[frozenset((2, 3))] == 1
    assert repeat_counts({frozenset((4, 5)): 2}) == {frozenset((4, 5)): 2}
    assert repeat_counts([frozenset((9,))]) == {}


def test_avoid_works_in_both_directions() -> None:
    forbidden = avoid_matrix([1, 2], [3, 4], [(1, 3), (4, 2), (1, 1), (8, 9)])
    assert forbidden.tolist() == [[True, False], [False, True]]
    front, back = person(1, "frontend"), person(3, "backend")
    assert compatibility(front, back, at=SUMMER, avoid=[(3, 1)]) is None
    assert compatibility(front, back, at=SUMMER, avoid=[(1, 3)]) is None
    assert compatibility(front, back, at=SUMMER, avoid=[(1, 4)]) is not None


def test_score_matrix_agrees_with_single_pair_scores() -> None:
    rng = random.Random(11)
    pool = random_pool(rng, 9, 12)
    past = random_past(rng, pool, 15)
    avoid = random_avoid(rng, pool, 10)
    front = [learner for learner in pool if learner.role == "frontend"]
    back = [learner for learner in pool if learner.role == "backend"]
    matrix = score_matrix(front, back, at=WINTER, past_partners=past, avoid=avoid)
    assert matrix.rows == tuple(learner.id for learner in front)
    assert matrix.cols == tuple(learner.id for learner in back)
    for i, f in enumerate(front):
        for j, b in enumerate(back):
            single = compatibility(f, b, at=WINTER, past_partners=past, avoid=avoid)
            assert matrix.allowed[i, j] == (single is not None)
            if single is not None:
                assert matrix.score[i, j] == pytest.approx(single)
            assert matrix.overlap[i, j] == pytest.approx(
                overlap_hours(
                    utc_offset_hours(f.timezone, WINTER), utc_offset_hours(b.timezone, WINTER)
                )
            )


def test_score_matrix_of_empty_sides() -> None:
    matrix = score_matrix([], [person(1, "backend")], at=SUMMER)
    assert matrix.score.shape == (0, 1)
    assert matrix.allowed.shape == (0, 1)
    assert isinstance(matrix.score, np.ndarray)
