"""Compatibility between frontend and backend learners, scored for a whole pool at once.

score = OVERLAP_WEIGHT * overlap_hours / WORKDAY_HOURS
      + STACK_WEIGHT * jaccard(stack)
      + INTEREST_WEIGHT * jaccard(interests)
      - REPEAT_PENALTY * (number of past rounds the two were partners)

Each positive part lies in 0-1 and the weights add up to 1, so a pair that never met scores
0-1. Working hours are 09:00-18:00 local time; UTC offsets come from `zoneinfo` at a reference
instant, so daylight saving time is whatever it is on that day. Avoid lists are a hard
constraint, kept apart from the score: `Compatibility.allowed` is False for such pairs.

Everything is vectorised with numpy: time-zone overlap is computed once per pair of distinct
UTC offsets and gathered, tags become 0/1 matrices whose product counts shared tags, so a
1,500 x 2,000 pool scores in a few tens of milliseconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from bot.pairing.model import Learner

WORKDAY_START = 9.0
"""Local hour when a learner's working day starts."""

WORKDAY_END = 18.0
"""Local hour when a learner's working day ends."""

WORKDAY_HOURS = WORKDAY_END - WORKDAY_START
"""Length of the working day: the most two learners can overlap."""

OVERLAP_WEIGHT = 0.5
"""Weight of shared working hours (as a fraction of the working day): the part that decides
whether two people can actually work together, so it weighs most."""

STACK_WEIGHT = 0.3
"""Weight of the Jaccard similarity of the two stacks (case-insensitive tags)."""

INTEREST_WEIGHT = 0.2
"""Weight of the Jaccard similarity of the two sets of interests (case-insensitive tags)."""

REPEAT_PENALTY = 0.5
"""Subtracted once per past round in which the two were partners, so it grows with repeats:
one repeat costs as much as a full working day of overlap, two cost more than any pair is
worth, yet a repeat is still better than leaving someone without a partner."""

_DAY = 24.0


@dataclass(frozen=True, slots=True, eq=False)
class Compatibility:
    """Scores between row learners and column learners (normally frontend x backend).

    `score[i, j]` is the compatibility of `rows[i]` and `cols[j]` (repeat penalty included),
    `overlap[i, j]` their shared working hours, and `allowed[i, j]` is False when either of
    them is on the other's avoid list.
    """

    rows: tuple[int, ...]
    cols: tuple[int, ...]
    score: np.ndarray
    overlap: np.ndarray
    allowed: np.ndarray


def normalize_tag(tag: str) -> str:
    """Fold one stack or interest tag for comparison: case-insensitive, spaces collapsed."""
    return " ".join(tag.casefold().split())


def normalize_tags(tags: Iterable[str]) -> frozenset[str]:
    """Fold a set of tags (see `normalize_tag`), dropping empty ones."""
    if isinstance(tags, frozenset):
        return _normalize_frozen(tags)  # pools repeat the same few tag sets: cached
    return _normalize(tags)


def _normalize(tags: Iterable[str]) -> frozenset[str]:
    folded = (normalize_tag(tag) for tag in tags)
    return frozenset(tag for tag in folded if tag)


_normalize_frozen = lru_cache(maxsize=65536)(_normalize)


def as_utc(at: datetime) -> datetime:
    """The reference instant as an aware UTC datetime; a naive one is taken to be UTC."""
    if at.tzinfo is None or at.utcoffset() is None:
        return at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


def utc_offset_hours(timezone: str, at: datetime) -> float:
    """UTC offset of `timezone` at the instant `at`, in hours (e.g. 1.0 for Africa/Lagos).

    Raises ValueError for a name that is not a known IANA time zone.
    """
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError, OSError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone: {timezone!r}") from error
    offset = as_utc(at).astimezone(zone).utcoffset()
    return 0.0 if offset is None else offset.total_seconds() / 3600.0


def _pair_overlap(difference: np.ndarray) -> np.ndarray:
    """Shared working hours of two learners whose UTC offsets differ by `difference` hours."""
    distance = np.abs(difference) % _DAY
    distance = np.minimum(distance, _DAY - distance)  # around midnight, the short way
    overlap: np.ndarray = np.clip(WORKDAY_HOURS - distance, 0.0, WORKDAY_HOURS)
    return overlap


def overlap_hours(*offsets: float) -> float:
    """Working hours (09:00-18:00 local) shared by everyone with these UTC offsets.

    Handles windows that wrap around midnight UTC; one offset gives a whole working day.
    """
    if not offsets:
        return 0.0
    # A window in UTC is [WORKDAY_START - offset, WORKDAY_END - offset) on a 24-hour circle.
    # The windows are shorter than half a day, so each one can be unrolled next to the first
    # and the circle intersection becomes a plain interval intersection.
    first = WORKDAY_START - offsets[0]
    start, end = first, first + WORKDAY_HOURS
    for offset in offsets[1:]:
        other = WORKDAY_START - offset
        other = first + ((other - first + _DAY / 2) % _DAY) - _DAY / 2
        start, end = max(start, other), min(end, other + WORKDAY_HOURS)
    return max(0.0, end - start)


def overlap_matrix(row_offsets: Sequence[float], col_offsets: Sequence[float]) -> np.ndarray:
    """Shared working hours for every (row, column) pair of UTC offsets, 0-9.

    Computed once per pair of distinct offsets (a pool has a few dozen) and gathered.
    """
    rows = np.asarray(row_offsets, dtype=np.float64)
    cols = np.asarray(col_offsets, dtype=np.float64)
    row_values, row_index = np.unique(rows, return_inverse=True)
    col_values, col_index = np.unique(cols, return_inverse=True)
    table = _pair_overlap(row_values[:, None] - col_values[None, :])
    return table[row_index[:, None], col_index[None, :]]


def tag_matrix(tag_sets: Sequence[frozenset[str]], vocabulary: Mapping[str, int]) -> np.ndarray:
    """A 0/1 matrix with one row per tag set and one column per vocabulary tag."""
    matrix = np.zeros((len(tag_sets), len(vocabulary)), dtype=np.float64)
    row_index = [row for row, tags in enumerate(tag_sets) for _ in tags]
    col_index = [vocabulary[tag] for tags in tag_sets for tag in tags]
    matrix[row_index, col_index] = 1.0
    return matrix


def jaccard_matrix(
    row_sets: Sequence[frozenset[str]], col_sets: Sequence[frozenset[str]]
) -> np.ndarray:
    """Jaccard similarity |A & B| / |A | B| of every (row, column) pair of tag sets.

    Tags are compared as given (fold them first with `normalize_tags`); two empty sets score 0.
    """
    vocabulary: dict[str, int] = {}
    for tags in (*row_sets, *col_sets):
        for tag in tags:
            vocabulary.setdefault(tag, len(vocabulary))
    if not vocabulary:
        return np.zeros((len(row_sets), len(col_sets)), dtype=np.float64)
    rows = tag_matrix(row_sets, vocabulary)
    cols = tag_matrix(col_sets, vocabulary)
    shared = rows @ cols.T
    union = rows.sum(axis=1)[:, None] + cols.sum(axis=1)[None, :] - shared
    similarity: np.ndarray = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    return similarity


def repeat_counts(
    past_partners: Collection[frozenset[int]] | Mapping[frozenset[int], int],
) -> Counter[frozenset[int]]:
    """How many past rounds each pair of learners spent together.

    Takes one frozenset per past group (a pair, or a trio, which counts for each of its three
    pairs), or an already counted mapping, which is returned as a Counter.
    """
    if isinstance(past_partners, Mapping):
        return Counter(dict(past_partners))
    counts: Counter[frozenset[int]] = Counter()
    for group in past_partners:
        members = sorted(set(group))
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                counts[frozenset((first, second))] += 1
    return counts


def avoid_matrix(
    row_ids: Sequence[int], col_ids: Sequence[int], avoid: Collection[tuple[int, int]]
) -> np.ndarray:
    """True where the row learner and the column learner must never be grouped.

    `avoid` holds (who, whom) entries; either direction forbids the pair.
    """
    forbidden = np.zeros((len(row_ids), len(col_ids)), dtype=bool)
    row_index = {learner: i for i, learner in enumerate(row_ids)}
    col_index = {learner: j for j, learner in enumerate(col_ids)}
    for who, whom in avoid:
        if who == whom:
            continue
        for a, b in ((who, whom), (whom, who)):
            i, j = row_index.get(a), col_index.get(b)
            if i is not None and j is not None:
                forbidden[i, j] = True
    return forbidden


def score_matrix(
    rows: Sequence[Learner],
    cols: Sequence[Learner],
    *,
    at: datetime,
    past_partners: Collection[frozenset[int]] | Mapping[frozenset[int], int] = (),
    avoid: Collection[tuple[int, int]] = (),
    offsets: Mapping[str, float] | None = None,
) -> Compatibility:
    """Score every (row, column) pair of learners at the reference instant `at`.

    `offsets` may hold UTC offsets already computed per time zone name; missing ones are
    computed here (ValueError for an unknown time zone).
    """
    known: dict[str, float] = dict(offsets or {})
    for learner in (*rows, *cols):
        if learner.timezone not in known:
            known[learner.timezone] = utc_offset_hours(learner.timezone, at)
    overlap = overlap_matrix(
        [known[learner.timezone] for learner in rows],
        [known[learner.timezone] for learner in cols],
    )
    score = overlap * (OVERLAP_WEIGHT / WORKDAY_HOURS)
    score += STACK_WEIGHT * jaccard_matrix(
        [normalize_tags(learner.stack) for learner in rows],
        [normalize_tags(learner.stack) for learner in cols],
    )
    score += INTEREST_WEIGHT * jaccard_matrix(
        [normalize_tags(learner.interests) for learner in rows],
        [normalize_tags(learner.interests) for learner in cols],
    )
    row_ids = tuple(learner.id for learner in rows)
    col_ids = tuple(learner.id for learner in cols)
    counts = repeat_counts(past_partners)
    if counts:
        row_index = {learner: i for i, learner in enumerate(row_ids)}
        col_index = {learner: j for j, learner in enumerate(col_ids)}
        for pair, count in counts.items():
            if len(pair) != 2 or count <= 0:
                continue
            a, b = pair
            for x, y in ((a, b), (b, a)):
                i, j = row_index.get(x), col_index.get(y)
                if i is not None and j is not None:
                    score[i, j] -= REPEAT_PENALTY * count
    allowed = ~avoid_matrix(row_ids, col_ids, avoid)
    return Compatibility(rows=row_ids, cols=col_ids, score=score, overlap=overlap, allowed=allowed)


def compatibility(
    a: Learner,
    b: Learner,
    *,
    at: datetime,
    past_partners: Collection[frozenset[int]] | Mapping[frozenset[int], int] = (),
    avoid: Collection[tuple[int, int]] = (),
) -> float | None:
    """The score of one pair, computed directly (None when an avoid list forbids the pair).

    A plain reference for `score_matrix`, and handy for explaining a single match.
    """
    if a.id != b.id and ((a.id, b.id) in set(avoid) or (b.id, a.id) in set(avoid)):
        return None
    hours = overlap_hours(utc_offset_hours(a.timezone, at), utc_offset_hours(b.timezone, at))
    score = OVERLAP_WEIGHT * hours / WORKDAY_HOURS
    for weight, first, second in (
        (STACK_WEIGHT, normalize_tags(a.stack), normalize_tags(b.stack)),
        (INTEREST_WEIGHT, normalize_tags(a.interests), normalize_tags(b.interests)),
    ):
        union = first | second
        if union:
            score += weight * len(first & second) / len(union)
    return score - REPEAT_PENALTY * repeat_counts(past_partners)[frozenset((a.id, b.id))]
