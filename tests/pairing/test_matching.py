"""Forming groups: constraints, optimality, trios, reasons for the unplaced, determinism."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pytest

from bot.pairing import matching
from bot.pairing.matching import (
    REASON_NO_OTHER_ROLE,
    REASON_NO_PERMITTED,
    REASON_NOT_ENOUGH,
    REASON_OWN_AVOID,
    greedy_assign,
    greedy_match,
    match,
    optimal_assign,
)
from bot.pairing.model import Learner, MatchResult
from bot.pairing.scoring import compatibility
from tests.pairing.helpers import SUMMER, WINTER, person, random_avoid, random_past, random_pool


@pytest.fixture(params=["joint", "two-step"])
def trio_method(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with uneven rounds solved jointly (small rounds) and in two steps (large)."""
    if request.param == "two-step":
        monkeypatch.setattr(matching, "JOINT_MAX_CELLS", 0)
    return str(request.param)


@pytest.fixture
def two_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes every uneven round use the two-step method of large rounds."""
    monkeypatch.setattr(matching, "JOINT_MAX_CELLS", 0)


SHAPES = [(0, 0), (1, 0), (0, 1), (1, 1), (0, 4), (3, 0), (2, 2), (3, 5), (5, 3), (2, 7), (7, 2)]


def check_invariants(
    result: MatchResult, pool: Sequence[Learner], avoid: Sequence[tuple[int, int]] = ()
) -> None:
    """Every learner is in exactly one group or unplaced; every group is valid."""
    roles = {learner.id: learner.role for learner in pool}
    seen: list[int] = [entry.learner_id for entry in result.unplaced]
    forbidden = {frozenset(pair) for pair in avoid if pair[0] != pair[1]}
    for group in result.groups:
        assert len(group.members) in (2, 3)
        assert group.frontend and group.backend, "a group needs both roles"
        assert set(group.frontend) | set(group.backend) == set(group.members)
        assert all(roles[m] == "frontend" for m in group.frontend)
        assert all(roles[m] == "backend" for m in group.backend)
        for a, b in itertools.combinations(group.members, 2):
            assert frozenset((a, b)) not in forbidden, "an avoid list was ignored"
        seen.extend(group.members)
    assert sorted(seen) == sorted(roles), "someone was dropped or placed twice"
    assert all(entry.reason for entry in result.unplaced)
    assert result.score == pytest.approx(sum(group.score for group in result.groups))


def pair_total(
    pool: Sequence[Learner], links: Sequence[tuple[int, ...]], past: Sequence[frozenset[int]]
) -> float:
    by_id = {learner.id: learner for learner in pool}
    total = 0.0
    for a, b in links:
        value = compatibility(by_id[a], by_id[b], at=SUMMER, past_partners=past)
        assert value is not None
        total += value
    return total


def extra_link(
    pool: Sequence[Learner], extra: int, pair: tuple[int, ...], past: Sequence[frozenset[int]]
) -> float:
    """The score of an extra member's link: with the pair's member of the other role."""
    role = next(learner.role for learner in pool if learner.id == extra)
    return pair_total(pool, [(extra, pair[0] if role == "backend" else pair[1])], past)


def brute_force_extras(
    pool: Sequence[Learner], pairs: Sequence[tuple[int, ...]], past: Sequence[frozenset[int]]
) -> float:
    """The best total of extra-member links over every way to give pairs one extra each."""
    in_pairs = {member for pair in pairs for member in pair}
    free = [learner.id for learner in pool if learner.id not in in_pairs]
    if len(free) <= len(pairs):
        options = [
            list(zip(free, order, strict=True))
            for order in itertools.permutations(pairs, len(free))
        ]
    else:
        options = [
            list(zip(order, pairs, strict=True))
            for order in itertools.permutations(free, len(pairs))
        ]
    return max(
        sum(extra_link(pool, extra, pair, past) for extra, pair in option) for option in options
    )


def brute_force_pairs(
    pool: Sequence[Learner], past: Sequence[frozenset[int]], avoid: Sequence[tuple[int, int]]
) -> tuple[int, float]:
    """The best (number of pairs, total score) over every one-to-one assignment."""
    front = [learner for learner in pool if learner.role == "frontend"]
    back = [learner for learner in pool if learner.role == "backend"]
    small, large = (front, back) if len(front) <= len(back) else (back, front)
    best = (0, 0.0)
    for chosen in itertools.permutations(large, len(small)):
        count, total = 0, 0.0
        for a, b in zip(small, chosen, strict=True):
            value = compatibility(a, b, at=SUMMER, past_partners=past, avoid=avoid)
            if value is not None:
                count, total = count + 1, total + value
        if (count, total) > (best[0], best[1] + 1e-9):
            best = (count, total)
    return best


@pytest.mark.parametrize(("frontend", "backend"), SHAPES)
def test_every_learner_is_grouped_or_unplaced(
    frontend: int, backend: int, trio_method: str
) -> None:
    rng = random.Random(frontend * 100 + backend)
    pool = random_pool(rng, frontend, backend)
    avoid = random_avoid(rng, pool, 3)
    for matcher in (match, greedy_match):
        result = matcher(pool, avoid=avoid, at=SUMMER)
        check_invariants(result, pool, avoid)


def test_random_pools_keep_every_invariant(trio_method: str) -> None:
    rng = random.Random(2024)
    for _ in range(60):
        frontend, backend = rng.randint(0, 12), rng.randint(0, 12)
        pool = random_pool(rng, frontend, backend)
        avoid = random_avoid(rng, pool, rng.randint(0, 15))
        past = random_past(rng, pool, rng.randint(0, 10))
        for matcher in (match, greedy_match):
            result = matcher(pool, past_partners=past, avoid=avoid, at=WINTER)
            check_invariants(result, pool, avoid)


def test_empty_pool() -> None:
    result = match([], at=SUMMER)
    assert result == MatchResult(groups=(), unplaced=(), score=0.0)


def test_single_learner_and_one_sided_pools() -> None:
    alone = match([person(1, "frontend")], at=SUMMER)
    assert alone.groups == ()
    assert [entry.learner_id for entry in alone.unplaced] == [1]
    assert alone.unplaced[0].reason == REASON_NO_OTHER_ROLE.format(other="backend")

    backs = match([person(i, "backend") for i in (3, 1, 2)], at=SUMMER)
    assert [entry.learner_id for entry in backs.unplaced] == [1, 2, 3]
    assert {entry.reason for entry in backs.unplaced} == {
        REASON_NO_OTHER_ROLE.format(other="frontend")
    }


def test_uneven_sides_make_trios(trio_method: str) -> None:
    pool = [person(i, "frontend") for i in (1, 2, 3)] + [person(i, "backend") for i in range(4, 9)]
    result = match(pool, at=SUMMER)
    check_invariants(result, pool)
    assert len(result.groups) == 3
    assert sorted(len(group.members) for group in result.groups) == [2, 3, 3]
    assert result.unplaced == ()
    for group in result.groups:
        if group.is_trio:
            assert len(group.frontend) == 1 and len(group.backend) == 2


def test_more_than_twice_as_many_leaves_the_rest_unplaced_with_a_reason(trio_method: str) -> None:
    pool = [person(1, "frontend"), person(2, "frontend")]
    pool += [person(i, "backend") for i in range(10, 17)]
    result = match(pool, at=SUMMER)
    check_invariants(result, pool)
    assert [len(group.members) for group in result.groups] == [3, 3]
    assert len(result.unplaced) == 3
    assert {entry.reason for entry in result.unplaced} == {
        REASON_NOT_ENOUGH.format(other="frontend")
    }


def test_surplus_frontend_learners_join_as_well(trio_method: str) -> None:
    pool = [person(i, "frontend") for i in (1, 2, 3)] + [person(9, "backend")]
    result = match(pool, at=SUMMER)
    check_invariants(result, pool)
    assert len(result.groups) == 1
    (group,) = result.groups
    assert group.backend == (9,) and len(group.frontend) == 2
    assert result.unplaced[0].reason == REASON_NOT_ENOUGH.format(other="backend")


def test_avoid_is_honoured_in_both_directions(trio_method: str) -> None:
    # Learner 10 would be the better partner (same time zone), but one of them avoids the other.
    front = person(1, "frontend", "Africa/Lagos")
    near = person(10, "backend", "Africa/Lagos")
    far = person(11, "backend", "Africa/Nairobi")
    for avoid in ([(1, 10)], [(10, 1)]):
        result = match([front, near, far], avoid=avoid, at=SUMMER)
        assert [group.members for group in result.groups] == [(1, 11)]
        assert [entry.learner_id for entry in result.unplaced] == [10]
    # Without the avoid list, the trio has both.
    assert match([front, near, far], at=SUMMER).groups[0].members == (1, 10, 11)


def test_trio_extra_must_not_avoid_either_member(trio_method: str) -> None:
    pool = [person(1, "frontend"), person(10, "backend"), person(11, "backend")]
    # 11 avoids the backend member of the only pair, so it cannot join as the third.
    result = match(pool, avoid=[(11, 10)], at=SUMMER)
    check_invariants(result, pool, [(11, 10)])
    assert len(result.groups) == 1 and not result.groups[0].is_trio
    assert len(result.unplaced) == 1

    # With a second pair available, the extra member joins that one instead.
    pool = [person(1, "frontend"), person(2, "frontend", "Africa/Nairobi")]
    pool += [person(10, "backend"), person(11, "backend", "Africa/Nairobi"), person(12, "backend")]
    avoid = [(12, 10)]
    result = match(pool, avoid=avoid, at=SUMMER)
    check_invariants(result, pool, avoid)
    assert result.unplaced == ()
    assert {group.members for group in result.groups} == {(1, 10), (2, 11, 12)}


def test_reasons_for_avoid_lists_protect_privacy() -> None:
    pool = [person(1, "frontend"), person(10, "backend"), person(11, "backend")]
    mine = match(pool, avoid=[(1, 10), (1, 11)], at=SUMMER)
    assert mine.groups == ()
    assert {entry.learner_id: entry.reason for entry in mine.unplaced}[1] == REASON_OWN_AVOID
    theirs = match(pool, avoid=[(10, 1), (11, 1)], at=SUMMER)
    reasons = {entry.learner_id: entry.reason for entry in theirs.unplaced}
    assert reasons[1] == REASON_NO_PERMITTED  # does not say that others avoid them
    assert reasons[10] == REASON_OWN_AVOID


def test_unknown_time_zone_is_unplaced_and_the_rest_still_match() -> None:
    pool = [person(1, "frontend", "Mars/Base"), person(2, "frontend"), person(10, "backend")]
    result = match(pool, at=SUMMER)
    assert [group.members for group in result.groups] == [(2, 10)]
    assert [entry.learner_id for entry in result.unplaced] == [1]
    assert result.unplaced[0].reason == matching.REASON_BAD_TIMEZONE


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        match([person(1, "frontend"), person(1, "backend")], at=SUMMER)


def test_role_is_checked() -> None:
    with pytest.raises(ValueError, match="role"):
        Learner(1, "fullstack", "UTC", frozenset(), frozenset())  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6])
def test_pairs_are_optimal_against_brute_force(size: int) -> None:
    rng = random.Random(size)
    for _ in range(4):
        pool = random_pool(rng, size, size)
        avoid = random_avoid(rng, pool, rng.randint(0, size * 2))
        past = random_past(rng, pool, rng.randint(0, size))
        result = match(pool, past_partners=past, avoid=avoid, at=SUMMER)
        check_invariants(result, pool, avoid)
        count, total = brute_force_pairs(pool, past, avoid)
        assert len(result.groups) == count
        assert result.score == pytest.approx(total)


def brute_force_groups(
    pool: Sequence[Learner], past: Sequence[frozenset[int]], avoid: Sequence[tuple[int, int]]
) -> tuple[int, float]:
    """The best (learners placed, total score) over every way to form pairs and 2:1 trios.

    Each learner of the larger side joins one learner of the smaller side or nobody; each
    learner of the smaller side takes at most two. `avoid` must only hold cross-role pairs.
    """
    front = [learner for learner in pool if learner.role == "frontend"]
    back = [learner for learner in pool if learner.role == "backend"]
    small, large = (front, back) if len(front) <= len(back) else (back, front)
    values = [
        [compatibility(a, b, at=SUMMER, past_partners=past, avoid=avoid) for b in small]
        for a in large
    ]
    best = (0, 0.0)
    for choice in itertools.product(range(len(small) + 1), repeat=len(large)):
        load = [0] * len(small)
        total, feasible = 0.0, True
        for a, target in enumerate(choice):
            if target == len(small):
                continue
            value = values[a][target]
            if value is None:
                feasible = False
                break
            load[target] += 1
            total += value
        if not feasible or max(load, default=0) > 2:
            continue
        placed = sum(1 for target in choice if target < len(small))
        placed += sum(1 for count in load if count)
        if (placed, total) > (best[0], best[1] + 1e-9):
            best = (placed, total)
    return best


@pytest.mark.parametrize(
    ("frontend", "backend"),
    [(1, 2), (1, 3), (2, 3), (2, 5), (3, 5), (3, 6), (4, 5), (5, 3), (4, 2)],
)
def test_groups_are_optimal_against_brute_force_with_uneven_sides(
    frontend: int, backend: int
) -> None:
    rng = random.Random(frontend * 10 + backend)
    for _ in range(4):
        pool = random_pool(rng, frontend, backend)
        past = random_past(rng, pool, rng.randint(0, 5))
        cross = [(a, b) for a, b in random_avoid(rng, pool, rng.randint(0, 4)) if a <= frontend < b]
        result = match(pool, past_partners=past, avoid=cross, at=SUMMER)
        check_invariants(result, pool, cross)
        placed, total = brute_force_groups(pool, past, cross)
        assert len(result.placed_ids) == placed
        assert result.score == pytest.approx(total)


@pytest.mark.usefixtures("two_step")
@pytest.mark.parametrize(("frontend", "backend"), [(2, 5), (3, 6), (4, 6), (6, 4), (5, 3)])
def test_two_step_pairs_are_optimal_with_uneven_sides(frontend: int, backend: int) -> None:
    rng = random.Random(frontend * 10 + backend)
    for _ in range(3):
        pool = random_pool(rng, frontend, backend)
        past = random_past(rng, pool, 4)
        result = match(pool, past_partners=past, at=SUMMER)
        check_invariants(result, pool)
        pairs = [group.members[:2] for group in result.groups]  # the pair comes first
        best = brute_force_pairs(pool, past, [])
        assert len(pairs) == best[0]
        assert pair_total(pool, pairs, past) == pytest.approx(best[1])
        # The extra members are the best possible for those pairs.
        chosen = sum(
            extra_link(pool, group.members[2], group.members[:2], past)
            for group in result.groups
            if group.is_trio
        )
        assert chosen == pytest.approx(brute_force_extras(pool, pairs, past))


def test_history_penalty_avoids_a_repeat_when_an_equal_alternative_exists() -> None:
    pool = [person(1, "frontend"), person(2, "frontend")]
    pool += [person(10, "backend"), person(11, "backend")]
    fresh = match(pool, at=SUMMER)
    repeat = (1, 10) if (1, 10) in {group.members for group in fresh.groups} else (1, 11)
    other = (1, 11) if repeat == (1, 10) else (1, 10)
    after = match(pool, past_partners=[frozenset(repeat)], at=SUMMER)
    members = {group.members for group in after.groups}
    assert repeat not in members and other in members
    assert after.score == pytest.approx(fresh.score)  # nothing was lost by avoiding it


def test_history_penalty_is_soft() -> None:
    # A repeat partner is still better than nobody.
    pool = [person(1, "frontend"), person(10, "backend")]
    result = match(pool, past_partners=[frozenset((1, 10))] * 3, at=SUMMER)
    assert [group.members for group in result.groups] == [(1, 10)]


def test_group_details() -> None:
    pool = [
        person(1, "frontend", "Africa/Lagos", {"React", "GraphQL"}, {"Fintech", "health"}),
        person(10, "backend", "Africa/Nairobi", {"django", "graphql"}, {"fintech"}),
        person(11, "backend", "Europe/London", {"REACT"}, {"gaming"}),
    ]
    result = match(pool, at=WINTER)
    (group,) = result.groups
    assert group.frontend == (1,) and set(group.backend) == {10, 11}
    assert group.overlap_hours == 6.0  # UTC 09:00-15:00 in January
    assert group.shared == ("graphql", "react", "fintech")
    by_id = {learner.id: learner for learner in pool}
    expected = sum(compatibility(by_id[1], by_id[b], at=WINTER) or 0.0 for b in (10, 11))
    assert group.score == pytest.approx(expected)


def test_deterministic_whatever_the_input_order(trio_method: str) -> None:
    rng = random.Random(5)
    pool = random_pool(rng, 15, 22)
    avoid = random_avoid(rng, pool, 10)
    past = random_past(rng, pool, 10)
    first = match(pool, past_partners=past, avoid=avoid, at=SUMMER)
    for _ in range(3):
        shuffled = list(pool)
        rng.shuffle(shuffled)
        assert match(shuffled, past_partners=past, avoid=avoid, at=SUMMER) == first
        greedy = greedy_match(pool, past_partners=past, avoid=avoid, at=SUMMER)
        assert greedy_match(shuffled, past_partners=past, avoid=avoid, at=SUMMER) == greedy


def test_naive_reference_instant_is_taken_as_utc() -> None:
    rng = random.Random(6)
    pool = random_pool(rng, 6, 8)
    naive = datetime(2025, 7, 1, 12, 0)
    assert match(pool, at=naive) == match(pool, at=SUMMER)


def test_optimal_score_is_at_least_greedy_on_random_pools() -> None:
    # Greedy's groups are one of the ways to place everyone, among which `match` finds the
    # best: balanced rounds by one assignment, uneven ones (this small) by the joint one.
    rng = random.Random(99)
    for _ in range(60):
        frontend = rng.randint(1, 30)
        backend = rng.randint(frontend, 2 * frontend) if rng.random() < 0.6 else frontend
        if rng.random() < 0.5:
            frontend, backend = backend, frontend
        pool = random_pool(rng, frontend, backend)
        past = random_past(rng, pool, rng.randint(0, 20))
        optimal = match(pool, past_partners=past, at=SUMMER)
        greedy = greedy_match(pool, past_partners=past, at=SUMMER)
        assert optimal.unplaced == greedy.unplaced == ()
        assert optimal.score >= greedy.score - 1e-9


def test_balanced_rounds_beat_greedy_with_avoid_lists() -> None:
    rng = random.Random(42)
    for _ in range(40):
        size = rng.randint(1, 25)
        pool = random_pool(rng, size, size)
        avoid = random_avoid(rng, pool, rng.randint(0, 3 * size))
        past = random_past(rng, pool, rng.randint(0, 20))
        optimal = match(pool, past_partners=past, avoid=avoid, at=SUMMER)
        greedy = greedy_match(pool, past_partners=past, avoid=avoid, at=SUMMER)
        # `match` makes as many pairs as the avoid lists permit (greedy may make fewer and
        # leave more learners to join as extras, so their totals count different links).
        assert len(optimal.groups) >= len(greedy.groups)
        no_trios = not any(group.is_trio for group in (*optimal.groups, *greedy.groups))
        if no_trios and len(optimal.groups) == len(greedy.groups):
            assert optimal.score >= greedy.score - 1e-9


def test_optimal_beats_greedy_where_greedy_is_short_sighted() -> None:
    score = np.array([[1.0, 0.9], [0.9, 0.0]])
    allowed = np.ones_like(score, dtype=bool)
    assert greedy_assign(score, allowed) == [(0, 0), (1, 1)]
    assert sorted(optimal_assign(score, allowed)) == [(0, 1), (1, 0)]


def test_optimal_assign_places_as_many_as_constraints_allow() -> None:
    score = np.array([[10.0, 1.0], [1.0, 0.0]])
    allowed = np.array([[True, True], [True, False]])
    assert sorted(optimal_assign(score, allowed)) == [(0, 1), (1, 0)]
    assert optimal_assign(score, np.zeros_like(allowed)) == []
    assert optimal_assign(np.zeros((0, 3)), np.zeros((0, 3), dtype=bool)) == []
    assert greedy_assign(np.zeros((0, 3)), np.zeros((0, 3), dtype=bool)) == []
