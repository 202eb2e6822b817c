"""Form the groups of a round: frontend/backend pairs, and 2:1 trios for the surplus side.

`match` maximises the total compatibility of the round (the sum of every scored
frontend-backend link in every group) with `scipy.optimize.linear_sum_assignment`:

1. Pairs, and the surplus side's extra members:
   * balanced rounds: one assignment on the frontend x backend score matrix;
   * uneven rounds up to JOINT_MAX_CELLS: one joint assignment where every learner of the
     smaller side offers two slots (pair, extra), so pairs and trios are chosen together
     and the result is the true optimum (an extra member on an avoid list with the pair's
     member of the same role, which the joint assignment cannot see, goes back to step 2);
   * larger uneven rounds: the pair assignment alone, the surplus being left to step 2
     (pairs optimal, then extras optimal given the pairs; measured within 1% of the joint
     optimum, in a quarter to a third of its time).
   Pairs forbidden by an avoid list get a sentinel so low that the assignment first places
   as many learners as the constraints allow, then maximises the score; any assignment to a
   forbidden pair is dropped.
2. Everyone still without a group (surplus, or left out by constraints) x the pairs without
   an extra member: a candidate is scored against the pair member of the other role, must
   not be on an avoid list with either member, and each pair takes at most one extra.

Whoever is still left gets an `Unplaced` entry with a reason they can read. `greedy_match`
is the baseline (best remaining permitted link first, pairs then extras), for comparison.
Input order does not matter: learners are sorted by id, so the result is deterministic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

import numpy as np

from bot.pairing.model import Group, Learner, MatchResult, Role, Unplaced
from bot.pairing.scoring import (
    avoid_matrix,
    normalize_tags,
    overlap_hours,
    repeat_counts,
    score_matrix,
    utc_offset_hours,
)

Assign = Callable[[np.ndarray, np.ndarray], list[tuple[int, int]]]
"""An assignment strategy: (score, allowed) matrices in, (row, column) links out."""

PastPartners = Collection[frozenset[int]] | Mapping[frozenset[int], int]
"""One frozenset per past round's group, or pair -> number of rounds (see `repeat_counts`)."""

JOINT_MAX_CELLS = 1_500_000
"""Largest joint assignment (larger side x twice the smaller side) solved exactly: e.g. 500 x
990 or 700 x 1,000. Its time grows quickly with size and with the bonus structure (0.2-0.45 s
here at this size, 1.3-3 s at 1,500 x 2,000), so larger uneven rounds use two steps."""

# Why a learner was not placed, for moderators (the preview and the round summary). Learners
# are never shown these: they get a neutral message (`service.UNPLACED_MESSAGE`), so nobody
# learns that someone avoids them.
REASON_NO_OTHER_ROLE = "no {other} learners in this round"
REASON_NOT_ENOUGH = "not enough {other} learners in this round"
REASON_OWN_AVOID = "their own avoid list rules out every possible partner"
REASON_NO_PERMITTED = "avoid lists rule out every possible partner"
REASON_TAKEN = "every compatible partner was already in a full group"
REASON_BAD_TIMEZONE = "their saved time zone is not recognised (they must set it again)"
# No reason echoes stored text (a time zone name could hold anything).


def optimal_assign(score: np.ndarray, allowed: np.ndarray) -> list[tuple[int, int]]:
    """Links (row, column) of maximum total score, as many as the allowed pairs permit.

    Forbidden cells get a sentinel lower than any set of permitted links could make up for,
    so the assignment maximises first the number of permitted links, then their total score.
    """
    if score.size == 0 or not allowed.any():
        return []
    # Imported here: scipy.optimize takes about 0.5 s to import, and only rounds need it.
    from scipy.optimize import linear_sum_assignment

    permitted = score[allowed]
    low, high = float(permitted.min()), float(permitted.max())
    sentinel = low - (min(score.shape) + 1) * (high - low + 1.0)
    cost = np.where(allowed, score, sentinel)
    rows, cols = linear_sum_assignment(cost, maximize=True)
    keep = allowed[rows, cols]
    return list(zip(rows[keep].tolist(), cols[keep].tolist(), strict=True))


def greedy_assign(score: np.ndarray, allowed: np.ndarray) -> list[tuple[int, int]]:
    """Links (row, column) taken best first among those still free (the baseline).

    Ties go to the lower row, then the lower column, so the result is deterministic.
    """
    row_index, col_index = np.nonzero(allowed)  # row-major: ties stay in (row, col) order
    if row_index.size == 0:
        return []
    order = np.argsort(-score[row_index, col_index], kind="stable")
    row_index, col_index = row_index[order], col_index[order]
    row_used = np.zeros(score.shape[0], dtype=bool)
    col_used = np.zeros(score.shape[1], dtype=bool)
    links: list[tuple[int, int]] = []
    most = min(score.shape)
    chunk = 4096
    for start in range(0, row_index.size, chunk):
        rows, cols = row_index[start : start + chunk], col_index[start : start + chunk]
        free = ~(row_used[rows] | col_used[cols])  # drop whole chunks of taken links at once
        for row, col in zip(rows[free].tolist(), cols[free].tolist(), strict=True):
            if not (row_used[row] or col_used[col]):
                row_used[row] = col_used[col] = True
                links.append((row, col))
        if len(links) == most:
            break
        chunk = min(chunk * 2, 1 << 20)
    return links


def match(
    learners: Sequence[Learner],
    *,
    past_partners: PastPartners = (),
    avoid: Collection[tuple[int, int]] = (),
    at: datetime,
    priority: Collection[int] = (),
) -> MatchResult:
    """Group a round's learners for the highest total compatibility.

    Every group has at least one frontend and one backend learner; the surplus side joins
    pairs as 2:1 trios; everyone else is `Unplaced` with a reason. Learners in `priority`
    (left out of the last round) are placed before anyone else competing for the same places.
    `at` is the reference instant for UTC offsets (a naive datetime is taken as UTC). Raises
    ValueError for duplicate learner ids.
    """
    return _match(learners, past_partners, avoid, at, optimal_assign, priority, joint=True)


def greedy_match(
    learners: Sequence[Learner],
    *,
    past_partners: PastPartners = (),
    avoid: Collection[tuple[int, int]] = (),
    at: datetime,
    priority: Collection[int] = (),
) -> MatchResult:
    """Like `match`, but greedy: the best remaining permitted link first, in both stages."""
    return _match(learners, past_partners, avoid, at, greedy_assign, priority, joint=False)


def _joint_assign(
    score: np.ndarray, allowed: np.ndarray
) -> tuple[list[tuple[int, int]], dict[int, tuple[Role, int]]]:
    """Pairs and extra members of an uneven round in one optimal assignment.

    Every member of the smaller side gets two slots, a primary one (the pair) and an extra
    one; the larger side is assigned to the slots. Primary slots carry a bonus larger than
    any score difference, so every learner of the smaller side gets a partner before anyone
    gets a second one. Returns the pairs as (frontend, backend) indices and, per pair number,
    the role and index of its extra member.
    """
    short_is_frontend = score.shape[0] < score.shape[1]
    base = score.T if short_is_frontend else score  # larger side x smaller side
    base_allowed = allowed.T if short_is_frontend else allowed
    if not base_allowed.any():
        return [], {}
    permitted = base[base_allowed]
    bonus = float(permitted.max() - permitted.min()) + 1.0
    short = base.shape[1]
    links = optimal_assign(np.hstack([base + bonus, base]), np.hstack([base_allowed, base_allowed]))
    primary: dict[int, int] = {}
    second: dict[int, int] = {}
    for row, slot in sorted(links, key=lambda link: link[1]):  # primary slots first
        target = slot % short
        (primary if target not in primary else second)[target] = row
    pairs: list[tuple[int, int]] = []
    extras: dict[int, tuple[Role, int]] = {}
    extra_role: Role = "backend" if short_is_frontend else "frontend"
    for target in sorted(primary):
        row = primary[target]
        pairs.append((target, row) if short_is_frontend else (row, target))
        if target in second:
            extras[len(pairs) - 1] = (extra_role, second[target])
    return pairs, extras


def _other(role: Role) -> Role:
    return "backend" if role == "frontend" else "frontend"


def _match(
    learners: Sequence[Learner],
    past_partners: PastPartners,
    avoid: Collection[tuple[int, int]],
    at: datetime,
    assign: Assign,
    priority: Collection[int],
    *,
    joint: bool,
) -> MatchResult:
    ordered = sorted(learners, key=lambda learner: learner.id)
    ids = [learner.id for learner in ordered]
    if len(set(ids)) != len(ids):
        duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
        raise ValueError(f"duplicate learner ids: {duplicates[:10]}")

    offsets: dict[str, float] = {}
    unplaced: list[Unplaced] = []
    valid: list[Learner] = []
    for learner in ordered:
        if learner.timezone not in offsets:
            try:
                offsets[learner.timezone] = utc_offset_hours(learner.timezone, at)
            except ValueError:
                offsets[learner.timezone] = float("nan")
        if np.isnan(offsets[learner.timezone]):
            unplaced.append(Unplaced(learner.id, REASON_BAD_TIMEZONE))
        else:
            valid.append(learner)

    frontend = [learner for learner in valid if learner.role == "frontend"]
    backend = [learner for learner in valid if learner.role == "backend"]
    counts = repeat_counts(past_partners)
    avoid_pairs = tuple(avoid)
    pairs_matrix = score_matrix(
        frontend, backend, at=at, past_partners=counts, avoid=avoid_pairs, offsets=offsets
    )

    matrix, allowed = pairs_matrix.score, pairs_matrix.allowed
    ranked = _with_priority(matrix, allowed, frontend, backend, priority)  # what is maximised
    # Stage 1: pairs, with the surplus side's extra members when the round is uneven.
    smaller, larger = sorted((len(frontend), len(backend)))
    if joint and 0 < smaller < larger and larger * 2 * smaller <= JOINT_MAX_CELLS:
        pairs, extra_links = _joint_assign(ranked, allowed)
    else:
        pairs, extra_links = assign(ranked, allowed), {}
    # An extra member on an avoid list with the pair's member of the same role leaves again.
    avoided = {frozenset(pair) for pair in avoid_pairs}
    for number, (f, b) in enumerate(pairs):
        link = extra_links.get(number)
        if link is not None:
            same_role = frontend[f] if link[0] == "frontend" else backend[b]
            extra = frontend[link[1]] if link[0] == "frontend" else backend[link[1]]
            if frozenset((same_role.id, extra.id)) in avoided:
                del extra_links[number]

    # Stage 2: anyone still without a group may join a pair that has no extra member yet.
    open_pairs = [number for number in range(len(pairs)) if number not in extra_links]
    taken_f = {f for f, _ in pairs} | {i for role, i in extra_links.values() if role == "frontend"}
    taken_b = {b for _, b in pairs} | {j for role, j in extra_links.values() if role == "backend"}
    left_f = [i for i in range(len(frontend)) if i not in taken_f]
    left_b = [j for j in range(len(backend)) if j not in taken_b]
    if open_pairs and (left_f or left_b):
        pair_f = np.array([pairs[number][0] for number in open_pairs], dtype=np.intp)
        pair_b = np.array([pairs[number][1] for number in open_pairs], dtype=np.intp)
        rows_f = np.array(left_f, dtype=np.intp)
        rows_b = np.array(left_b, dtype=np.intp)
        # A candidate is scored against the pair's member of the other role, and must not be
        # on an avoid list with either member.
        same_f = avoid_matrix(
            [frontend[i].id for i in left_f], [frontend[f].id for f in pair_f], avoid_pairs
        )
        same_b = avoid_matrix(
            [backend[j].id for j in left_b], [backend[b].id for b in pair_b], avoid_pairs
        )
        extra_score = np.vstack([ranked[np.ix_(rows_f, pair_b)], ranked[np.ix_(pair_f, rows_b)].T])
        extra_allowed = np.vstack(
            [
                allowed[np.ix_(rows_f, pair_b)] & ~same_f,
                allowed[np.ix_(pair_f, rows_b)].T & ~same_b,
            ]
        )
        candidates: list[tuple[Role, int]] = [("frontend", i) for i in left_f]
        candidates += [("backend", j) for j in left_b]
        for row, column in assign(extra_score, extra_allowed):
            extra_links[open_pairs[column]] = candidates[row]

    groups: list[Group] = []
    for number, (f, b) in enumerate(pairs):
        members = [frontend[f], backend[b]]
        score = float(matrix[f, b])
        if number in extra_links:
            role, index = extra_links[number]
            if role == "frontend":
                members.append(frontend[index])
                score += float(matrix[index, b])
            else:
                members.append(backend[index])
                score += float(matrix[f, index])
        groups.append(_group(members, score, offsets))
    groups.sort(key=lambda group: group.members)

    placed = {member for group in groups for member in group.members}
    unplaced.extend(_reasons(frontend, backend, placed, pairs_matrix.allowed, avoid_pairs))
    unplaced.sort(key=lambda entry: entry.learner_id)
    total = float(sum(group.score for group in groups))
    return MatchResult(groups=tuple(groups), unplaced=tuple(unplaced), score=total)


def _with_priority(
    matrix: np.ndarray,
    allowed: np.ndarray,
    frontend: Sequence[Learner],
    backend: Sequence[Learner],
    priority: Collection[int],
) -> np.ndarray:
    """`matrix` plus, for each priority learner a link involves, a bonus larger than any total
    score difference, so an assignment places as many of them as it can, then scores best."""
    first = set(priority)
    rows = np.array([learner.id in first for learner in frontend], dtype=np.float64)
    cols = np.array([learner.id in first for learner in backend], dtype=np.float64)
    if not first or not allowed.any() or not (rows.any() or cols.any()):
        return matrix
    permitted = matrix[allowed]
    bonus = (float(permitted.max() - permitted.min()) + 1.0) * (min(matrix.shape) + 1)
    boosted: np.ndarray = matrix + bonus * (rows[:, None] + cols[None, :])  # numpy says Any
    return boosted


def _group(members: list[Learner], score: float, offsets: Mapping[str, float]) -> Group:
    """A Group value for these members (the pair first, then the extra member)."""
    front = [m for m in members if m.role == "frontend"]
    back = [m for m in members if m.role == "backend"]
    shared: list[str] = []
    for field in ("stack", "interests"):
        front_tags = set().union(*(normalize_tags(getattr(m, field)) for m in front))
        back_tags = set().union(*(normalize_tags(getattr(m, field)) for m in back))
        shared.extend(tag for tag in sorted(front_tags & back_tags) if tag not in shared)
    return Group(
        members=tuple(m.id for m in members),
        frontend=tuple(m.id for m in front),
        backend=tuple(m.id for m in back),
        score=score,
        overlap_hours=overlap_hours(*(offsets[m.timezone] for m in members)),
        shared=tuple(shared),
    )


def _reasons(
    frontend: Sequence[Learner],
    backend: Sequence[Learner],
    placed: set[int],
    allowed: np.ndarray,
    avoid: Collection[tuple[int, int]],
) -> list[Unplaced]:
    """A readable reason for every learner (with a valid time zone) who is not in a group."""
    own_avoid: dict[int, set[int]] = {}
    for who, whom in avoid:
        own_avoid.setdefault(who, set()).add(whom)
    counts = {"frontend": len(frontend), "backend": len(backend)}
    result: list[Unplaced] = []
    sides: tuple[tuple[Sequence[Learner], Sequence[Learner], np.ndarray], ...] = (
        (frontend, backend, allowed),
        (backend, frontend, allowed.T),
    )
    for side, opposite, side_allowed in sides:
        opposite_ids = {learner.id for learner in opposite}
        for index, learner in enumerate(side):
            if learner.id in placed:
                continue
            other = _other(learner.role)
            if not opposite:
                reason = REASON_NO_OTHER_ROLE.format(other=other)
            elif not side_allowed[index].any():
                mine = own_avoid.get(learner.id, set())
                reason = REASON_OWN_AVOID if opposite_ids <= mine else REASON_NO_PERMITTED
            elif counts[learner.role] > 2 * counts[other]:
                reason = REASON_NOT_ENOUGH.format(other=other)
            else:
                reason = REASON_TAKEN
            result.append(Unplaced(learner.id, reason))
    return result
