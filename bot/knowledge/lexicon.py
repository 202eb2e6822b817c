"""Counting the indexed text: ids for its tokens and terms, and how often each token occurs in
each field of each entry, for `search.SearchIndex` to weigh.

Python only numbers pieces of text (`text.pieces`, one dict lookup each); the counting is one
numpy sort, so a 10,000-entry index builds in a few seconds.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.knowledge.text import stem, tokenize


class Lexicon:
    """Ids given on first sight to the indexed text's tokens and terms (stems), with each
    token's term, and each piece's token (`text.pieces`: a piece is one token or none)."""

    def __init__(self) -> None:
        terms: dict[str, int] = {}
        token_term = array("i")

        def new_token(token: str) -> None:  # no reference back to self: no cycle to collect
            token_term.append(terms.setdefault(stem(token), len(terms)))

        self.terms, self.token_term = terms, token_term
        self.tokens = Ids(new_token)
        self.pieces = PieceTokens(self.tokens)


class Ids(dict[str, int]):
    """Key -> id, numbered on first sight (`added`, if given, is told of each new key).
    Lookups of known keys stay in C: `map(ids.__getitem__, keys)`."""

    def __init__(self, added: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.added = added

    def __missing__(self, key: str) -> int:
        number = len(self)
        if self.added is not None:
            self.added(key)
        self[key] = number
        return number


class PieceTokens(dict[str, int]):
    """Piece -> the id of its token in `tokens`, or -1 when it has none ("+", "##"), filled on
    first sight."""

    def __init__(self, tokens: Ids) -> None:
        super().__init__()
        self.tokens = tokens

    def __missing__(self, piece: str) -> int:
        found = tokenize(piece)
        self[piece] = number = self.tokens[found[0]] if found else -1
        return number


def tokens_of(sequence: array[int], field_sizes: array[int]) -> tuple[np.ndarray, np.ndarray]:
    """The token ids of a sequence of pieces' token ids (-1: a piece without one), and each
    token's field number (entry x fields + field), from the number of pieces of each field."""
    token_ids = np.frombuffer(sequence, dtype=np.int32)
    token_field = np.repeat(
        np.arange(len(field_sizes), dtype=np.int32), np.frombuffer(field_sizes, dtype=np.int64)
    )
    kept = token_ids >= 0
    return token_ids[kept], token_field[kept]


@dataclass(frozen=True, slots=True)
class FieldCounts:
    """How often each token occurs in each field of each entry: one row per (term, entry,
    token, field), sorted in that order (the postings' order)."""

    term_entry: np.ndarray  # term x entries + entry
    entry: np.ndarray
    field: np.ndarray
    token: np.ndarray
    count: np.ndarray

    @classmethod
    def of(
        cls, lexicon: Lexicon, token_ids: np.ndarray, token_field: np.ndarray, n: int, width: int
    ) -> FieldCounts:
        """Counted with one sort of a key per token. A token is numbered among its term's
        few tokens (its rank), so the key stays far from overflowing."""
        token_term = np.frombuffer(lexicon.token_term, dtype=np.int32).astype(np.int64)
        by_term = np.argsort(token_term, kind="stable")  # tokens grouped by term
        term_start = np.concatenate(([0], np.cumsum(np.bincount(token_term))))
        token_rank = np.empty(len(by_term), dtype=np.int32)
        token_rank[by_term] = np.arange(len(by_term)) - term_start[token_term[by_term]]
        ranks = int(token_rank.max(initial=0)) + 1
        key = token_term[token_ids]  # in place from here: the arrays are big
        key *= n
        key += token_field // width
        key *= ranks
        key += token_rank[token_ids]
        key *= width
        key += token_field % width
        key.sort()
        first = np.flatnonzero(np.diff(key, prepend=-1))
        count = np.diff(first, append=len(key))
        key = key[first]
        term_entry = key // (width * ranks)
        rank = key // width % ranks
        return cls(
            term_entry=term_entry,
            entry=(term_entry % max(n, 1)).astype(np.int32),
            field=(key % width).astype(np.int32),
            token=by_term[term_start[term_entry // max(n, 1)] + rank].astype(np.int32),
            count=count.astype(np.int32),
        )

    def entries_using(self, token_count: int) -> np.ndarray:
        """Per token id, the number of entries it occurs in (a token's rows in one entry are
        adjacent)."""
        change = np.ones(len(self.token), dtype=bool)
        change[1:] = (np.diff(self.term_entry) != 0) | (np.diff(self.token) != 0)
        return np.bincount(self.token[change], minlength=token_count).astype(np.int32)
