"""The index's fast scoring kernels agree exactly with plain reference versions of them.

`_text_scores` and `_phrasing_scores` are written for speed at 100,000 entries (`np.add.at`,
dense bests, a shortcut past the longest phrasing row). The references below are the
straightforward forms they were derived from; random corpora and random query words
(repeated stems, several variants, unknown words) must score identically under both.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from bot.knowledge import search
from bot.knowledge.search import SearchIndex, _Word
from tests.helpers import make_entry

WORDS = [
    "cache", "caches", "caching", "query", "queries", "run", "running", "index", "indexes",
    "data", "base", "roll", "back", "api", "c#", "n+1", "the", "what", "is", "日本",
]  # fmt: skip


def reference_phrasings(index: SearchIndex, words: list[_Word]) -> np.ndarray:
    count = len(index._phrasing_owner)
    best = np.zeros(len(index._entries))
    matched = np.zeros(count)
    stems_in = np.zeros(count, dtype=np.int32)
    total = 0.0
    touched: list[np.ndarray] = []
    for word in words:
        own = [index._terms[s] for s, c in word.variants if c == 1.0 and s in index._terms]
        rows = [index._phrasing_postings.row(term) for term in own] if word.known else []
        weight = word.importance * index._idf_of(max(map(len, rows), default=0), count)
        total += weight
        for row in rows:
            stems_in[row] += 1
        if rows:  # `+=` on repeated indices applies once
            matched[np.concatenate(rows)] += weight
        touched += rows
    if not touched:
        return best
    hit = np.concatenate(touched)
    hit = hit[stems_in[hit] >= index._phrasing_needs[hit]]
    share = np.minimum(stems_in[hit] / index._phrasing_size[hit], 1.0)
    np.maximum.at(best, index._phrasing_owner[hit], matched[hit] / total * (1 + share) / 2)
    return best


def reference_text(
    index: SearchIndex, words: list[_Word], weights: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    n = len(index._entries)
    total = np.zeros(n)
    mask = np.zeros(n, dtype=np.int64)
    active = sum(1 for w in words if w.known)
    presence = min(
        search._PRESENCE + search._PRESENCE_PER_WORD * (active - 1), search._PRESENCE_MAX
    )
    for bit, word in enumerate(words):
        best = np.zeros(n)
        for s, confidence in word.variants:
            term = index._terms.get(s)
            if term is None:
                continue
            start, end = index._postings.start[term], index._postings.start[term + 1]
            tf = index._weights[start:end]
            value = (
                word.importance
                * confidence
                * index._idf(int(end - start))
                * (presence + (1.0 - presence) * tf / (search._K1 + tf))
            )
            docs = index._postings.items[start:end]
            best[docs] = np.maximum(best[docs], np.minimum(value, weights[bit]))
        found = np.flatnonzero(best)
        total[found] += best[found]
        mask[found] |= 1 << bit
    return total * (search._TEXT_MAX / (sum(weights) or 1.0)), mask


def words_of(rng: random.Random, pool: list[str], most: int, least: int = 0) -> str:
    return " ".join(rng.choice(pool) for _ in range(rng.randint(least, most)))


@pytest.mark.parametrize("seed", range(4))
def test_fast_kernels_score_as_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(12):
        pool = rng.sample(WORDS, rng.randint(3, len(WORDS)))

        index = SearchIndex(
            make_entry(
                f"e{i}",
                words_of(rng, pool, 3, 1),
                aliases=tuple(words_of(rng, pool, 2, 1) for _ in range(rng.randint(0, 2))),
                questions=tuple(words_of(rng, pool, 5) for _ in range(rng.randint(0, 6))),
                body=words_of(rng, pool, 30),
                summary=words_of(rng, pool, 5),
            )
            for i in range(rng.randint(1, 40))
        )
        stems = [*index._terms, "zzz"]
        for _ in range(40):
            words = [
                _Word(
                    "w",
                    [
                        (rng.choice(stems), rng.choice([1.0, 1.0, 0.8]))
                        for _ in range(rng.choice([1, 1, 2, 3]))
                    ],
                    rng.choice([1.0, search._WEAK_IMPORTANCE]),
                    4,
                    rng.random() < 0.85,
                )
                for _ in range(rng.randint(1, 8))
            ]
            weights = index._word_weights(words)
            assert np.array_equal(index._phrasing_scores(words), reference_phrasings(index, words))
            fast, reference = (
                index._text_scores(words, weights),
                reference_text(index, words, weights),
            )
            assert np.array_equal(fast[0], reference[0])
            assert np.array_equal(fast[1], reference[1])
