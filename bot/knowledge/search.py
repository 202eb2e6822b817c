"""In-memory search over knowledge entries: one index for `/learn`, autocomplete and the CLI.

Three signals are combined into one score per entry (0-100 as shown; raw scores may exceed
100 when signals agree):

* **Names** (titles, aliases, misspellings, slugs): rapidfuzz `ratio` between the folded query
  and each name (typos), plus word containment: a name wholly inside the query, or the query
  wholly inside a name, scaled by how much of the other side it covers, so that a short name
  inside a long query (`n+1` in "banana n+1") never scores 100.
* **Full text** (names, learners' questions, tags, summary, body): BM25F over folded, lightly
  stemmed tokens: the idf-weighted, saturated coverage of the query's words, capped below an
  exact name match.
* **Phrasings** (each learner question, title and alias on its own): how closely the best one
  matches the query word for word (idf-weighted share of the query it contains, and share of
  itself the query contains); added on top, so a question asked almost as an entry lists it
  wins over an entry that merely has the words spread through its text.

Then the entry's score is scaled down by the share of the query (idf-weighted) that neither its
names nor its text contain (a word the knowledge base does not know at all counts fully, a word
it knows but this entry lacks counts less: "protect my app" is on-topic filler, "banana" is
not), for vague queries (only common or generic words) and for questions naming something the
program does not cover (the vocabulary's `out_of_scope`: "android", "css"), unless a name equals
the query.
That is how nonsense ("banana spaceship", "capital of peru") ends with nothing, not with the
least bad entry.

The best score decides whether a question gets an answer, "closest matches" or nothing. The
order of what is shown fuses the engine's score with plain BM25's over each entry's whole text
(each divided by its best among the engine's best 40, then summed): the engine reads words for
what they mean, plain BM25 counts how much an entry is about them, and each ranks right
questions the other misses.

Query analysis: Discord markup, URLs and stop words are dropped; phrases of the concept
vocabulary ("spamming" -> rate limit, throttle) also look for the rest of their group; generic
English words (`text.WEAK_WORDS`) weigh less; two typed words forming a known word ("roll back")
also match it; unknown words are corrected through a symmetric-delete spelling index.

The index is immutable and compact (numpy arrays, a few KB per entry): a change builds a new
one (`KnowledgeService` does that off the event loop). Nothing here touches a database or
Discord.
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.knowledge.entry import Entry
from bot.knowledge.lexicon import FieldCounts, Ids, Lexicon, tokens_of
from bot.knowledge.text import (
    MAX_QUERY_CHARS,
    STOP_WORDS,
    WEAK_WORDS,
    clean,
    fold,
    normalize,
    pieces,
    stem,
    tokenize,
)
from bot.knowledge.vocabulary import OUT_OF_SCOPE, Vocabulary

# Thresholds of the final 0-100 score (calibrated on the tuning and names relevance sets).
HIT_SCORE = 65
"""A result at or above this score is confident."""
SUGGEST_SCORE = 60
"""A result at or above this score (and below `HIT_SCORE`) is a "closest match" suggestion."""
HIT_MARGIN = 22
"""Confident results more than this far below the best one are demoted to suggestions."""

MAX_QUERY_WORDS = 16
"""Words beyond this many (after stop words are dropped) are ignored."""

_FIELDS = ("name", "question", "tag", "summary", "body")
_FIELD_BOOST = np.array([2.0, 1.6, 1.5, 1.2, 1.0])  # per field of `_FIELDS`
_FIELD_B = np.array([0.3, 0.5, 0.3, 0.5, 0.75])  # BM25 length normalization per field
_K1 = 1.2
_TEXT_MAX = 90.0  # full-text evidence alone never looks like an exact name match
_UNEXPLAINED_PENALTY = 0.5  # score factor lost when no query word is accounted for
_KNOWN_ABSENT = 0.4  # a known word missing from an entry counts this much as unexplained
_AGREEMENT = 0.15  # share of the weaker signal added to the stronger one
_PRESENCE = 0.55  # share of a term's credit earned by occurring at all (the rest grows with tf)
_PRESENCE_PER_WORD = 0.07  # ... plus this much per extra known query word
_PRESENCE_MAX = 0.8
_SPECIFIC_SHARE = 0.05  # a query whose words weigh like one word in 5% of entries is specific
_VAGUE_FLOOR = 0.4  # score factor of a query with no specific word at all
_SAME_NAME = 0.6  # `similar` share (fuzzy ratio 80) above which a name counts as the query
_MIN_STATS_DOCS = 20
_WEAK_IMPORTANCE = 0.35  # weight of generic English words (`text.WEAK_WORDS`)
_SYNONYM = 0.8  # confidence of a concept-vocabulary variant
_NAME_FIELDS_WEIGHT = {"title": 1.0, "alias": 1.0, "slug": 0.97}
_MIN_CORRECTABLE = 4  # words shorter than this are never spell-corrected
_MAX_CORRECTIONS = 4
_AMBIGUOUS_BELOW = 6  # shorter words are only corrected when exactly one known word is close
_NAME_CUTOFF = 50.0  # fuzzy name similarities below this are ignored
_NAME_SHORTLIST = 32  # at most this many names per kind of name match are examined
_FUZZY_POOL = 800  # names compared as whole strings (the rarest query words' names first)
_OTHER_NAME_COMPLETION = 0.96  # autocomplete: an alias or slug prefix ranks below a title's
_COMPLETION_BUDGET = 4  # autocomplete examines about this many names per requested result
_QUESTION_WORDS = 3  # autocomplete: typed text of this many words is searched as a question
_LONE_WORD = 0.8  # score factor of an entry that matches one word of a several-word query
_PHRASING_MAX = 100.0  # score added by a question or name matched word for word
OUT_OF_SCOPE_FACTOR = 0.7  # score factor of a question naming what the program does not cover
RERANK_POOL = 40  # best entries whose order plain BM25 has a say in
_ANY_SCORE = 1e-6  # entries the question shares nothing with are not candidates
_PLAIN_SHARE = 1.0  # weight of plain BM25's score (a share of its best) against the engine's
_PLAIN_K1, _PLAIN_B = 1.5, 0.75  # plain BM25 over each entry's whole text (bm25s's defaults)

_EMPTY = np.zeros(0, dtype=np.int32)


@dataclass(slots=True)
class _Word:
    """One analysed query word (or vocabulary phrase)."""

    text: str  # folded token(s) as typed
    variants: list[tuple[str, float]]  # (stem, confidence): the word, corrections, synonyms
    importance: float  # 1, or less for generic English words
    length: int  # length of the best stem, for length-weighted name coverage
    known: bool  # the word as typed (or a synonym) occurs in the knowledge base
    out_of_scope: bool = False  # names something the program does not cover (vocabulary)


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching entry with a 0-100 score."""

    slug: str
    title: str
    category: str
    score: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Confident `hits` (best first) and non-confident "closest match" `suggestions`."""

    hits: tuple[Hit, ...] = ()
    suggestions: tuple[Hit, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.hits or self.suggestions)

    @property
    def ranked(self) -> tuple[Hit, ...]:
        """Hits, then suggestions: every match, best first."""
        return self.hits + self.suggestions


def answer_or_suggestions(
    shown: Sequence[tuple[float, Hit]], best: float, hit_score: float, margin: float
) -> SearchResult:
    """What to show, in order, from (raw score, hit) pairs: when the best raw score is
    confident, the first entry is the answer, with those right after it that are confident too
    (at least `hit_score`, and within `margin` of the best); otherwise all are "closest
    matches". Raw scores, not the hits' clamped ones: above 100 they still differ."""
    hits = tuple(hit for _, hit in shown)
    if best < hit_score:
        return SearchResult(suggestions=hits)
    confident = 1
    while confident < len(shown) and shown[confident][0] >= max(hit_score, best - margin):
        confident += 1
    return SearchResult(hits[:confident], hits[confident:])


class _Lists:
    """Rows of integers in two flat arrays (compressed sparse rows)."""

    __slots__ = ("items", "start")

    def __init__(self, rows: Sequence[Sequence[int]], dtype: type = np.int32) -> None:
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        self.start: np.ndarray = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.start[1:])
        self.items: np.ndarray = np.fromiter(
            chain.from_iterable(rows), dtype=dtype, count=int(self.start[-1])
        )

    @classmethod
    def from_sorted(cls, rows: np.ndarray, items: np.ndarray, count: int) -> _Lists:
        """`count` rows from parallel arrays of row numbers (sorted) and items."""
        lists = cls.__new__(cls)
        lists.start = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=count), out=lists.start[1:])
        lists.items = items
        return lists

    def row(self, index: int) -> np.ndarray:
        return self.items[self.start[index] : self.start[index + 1]]


class _HashMultimap:
    """Strings to integer ids, stored as sorted 64-bit hashes (callers verify what they get)."""

    __slots__ = ("hashes", "ids")

    def __init__(self, keys: Sequence[str], ids: np.ndarray) -> None:
        hashes = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.ids = ids.astype(np.int32)[order]

    def get(self, keys: Iterable[str]) -> np.ndarray:
        """Ids stored under any of `keys` (and, rarely, under a colliding hash)."""
        wanted = np.fromiter((hash(k) for k in keys), dtype=np.int64)
        low = np.searchsorted(self.hashes, wanted, "left")
        high = np.searchsorted(self.hashes, wanted, "right")
        found = [self.ids[a:b] for a, b in zip(low, high, strict=True) if b > a]
        return _distinct(np.concatenate(found)) if found else _EMPTY


def _distinct(items: np.ndarray) -> np.ndarray:
    """The distinct values of `items`, sorted (several times faster than `np.unique` here)."""
    items = np.sort(items)
    return items[np.concatenate(([True], items[1:] != items[:-1]))] if len(items) else items


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


_SEPARATOR = "zqxseparatorxqz"
"""A word no text contains: marks the borders of texts tokenized in one call."""


def _tokenize_each(texts: Sequence[str]) -> list[list[str]]:
    """The tokens of each text, from one tokenizer call when possible (it is the cost)."""
    tokens = tokenize(f" {_SEPARATOR} ".join(texts))
    if tokens.count(_SEPARATOR) != len(texts) - 1:
        return [tokenize(text) for text in texts]
    parts, start = [], 0
    for _ in range(len(texts) - 1):
        end = tokens.index(_SEPARATOR, start)
        parts.append(tokens[start:end])
        start = end + 1
    parts.append(tokens[start:])
    return parts


class SearchIndex:
    """Fuzzy + full-text index over `Entry` objects; immutable (build a new one to change it).

    All public methods are total: any query string (empty, huge, emoji, control characters,
    Discord mentions, Markdown) returns a result instead of raising.
    """

    def __init__(self, entries: Iterable[Entry] = (), vocabulary: Vocabulary | None = None) -> None:
        by_slug = {e.slug: e for e in entries}
        self.vocabulary = Vocabulary() if vocabulary is None else vocabulary
        self._entries: list[Entry] = list(by_slug.values())
        self._ids = {e.slug: i for i, e in enumerate(self._entries)}
        order = sorted(range(len(self._entries)), key=self._sort_key)
        self._rank = np.empty(len(order), dtype=np.int32)  # position in title order
        self._rank[order] = np.arange(len(order), dtype=np.int32)
        self._by_title = [self._entries[i] for i in order]
        self._build_names(self._build_text())

    def _sort_key(self, doc: int) -> tuple[str, str]:
        entry = self._entries[doc]
        return fold(entry.title), entry.slug

    # ----------------------------------------------------------------- building

    def _build_text(self) -> list[dict[str, float]]:
        """BM25F postings (per term, the entries containing it and its field-weighted tf), the
        spelling index and the phrasings; returns each entry's normalized names with the
        weight of their kind, for `_build_names`.

        Python only cuts each field into pieces and numbers them; counting, weighting and
        merging the fields is numpy, in helpers whose big temporaries go when they return.
        """
        n, width = len(self._entries), len(_FIELDS)
        lexicon = Lexicon()
        piece_of, token_of = lexicon.pieces.__getitem__, lexicon.tokens.__getitem__
        sequence = array("i")  # every field's pieces' tokens, entry by entry, field by field
        field_sizes = array("q")  # pieces per (entry, field)
        phrasing_docs: list[int] = []  # per phrasing (question, title, alias): its entry ...
        phrasing_lengths: list[int] = []  # ... and number of tokens
        phrasing_tokens = array("i")  # their token ids
        entry_names: list[dict[str, float]] = []
        for doc, entry in enumerate(self._entries):
            kinds = (
                ("title",) + ("alias",) * (len(entry.aliases) + len(entry.misspellings)) + ("slug",)
            )
            names = (entry.title, *entry.aliases, *entry.misspellings, entry.slug.replace("-", " "))
            each = _tokenize_each((*names, *entry.questions))
            name_tokens, question_tokens = each[: len(names)], each[len(names) :]
            fields = (
                list(chain.from_iterable(name_tokens)),  # a token is a piece
                list(chain.from_iterable(question_tokens)),
                pieces(" ".join(entry.tags)),
                pieces(entry.summary),
                pieces(entry.body),
            )
            for field_pieces in fields:
                sequence.extend(map(piece_of, field_pieces))
                field_sizes.append(len(field_pieces))
            mine: dict[str, float] = {}
            for kind, tokens in zip(kinds, name_tokens, strict=True):
                if name := " ".join(tokens):
                    mine[name] = max(mine.get(name, 0.0), _NAME_FIELDS_WEIGHT[kind])
            entry_names.append(mine)
            for tokens in (*question_tokens, *name_tokens[: 1 + len(entry.aliases)]):
                phrasing_docs.append(doc)
                phrasing_lengths.append(len(tokens))
                phrasing_tokens.extend(map(token_of, tokens))

        self._terms = lexicon.terms
        token_ids, token_field = tokens_of(sequence, field_sizes)
        del sequence
        lengths = np.bincount(token_field, minlength=n * width).reshape(n, width).astype(float)
        rows = FieldCounts.of(lexicon, token_ids, token_field, n, width)
        del token_ids, token_field
        self._index_postings(rows, lengths)
        token_df = rows.entries_using(len(lexicon.tokens))
        del rows
        self._index_phrasings(lexicon, phrasing_docs, phrasing_lengths, phrasing_tokens)
        # The spelling index: known words with the number of entries using them.
        spelling = sorted(
            (t, i) for t, i in lexicon.tokens.items() if len(t) >= _MIN_CORRECTABLE and t.isalpha()
        )
        self._spelling_words = [t for t, _ in spelling]
        self._spelling_df = token_df[[i for _, i in spelling]]
        keys = [(word, *_deletes(word)) for word in self._spelling_words]
        self._spelling = _HashMultimap(
            list(chain.from_iterable(keys)),
            np.repeat(np.arange(len(keys)), [len(k) for k in keys]),
        )
        return entry_names

    def _index_postings(self, rows: FieldCounts, lengths: np.ndarray) -> None:
        """Per (term, entry) its BM25F weight (the fields' sum) and its plain BM25 tf factor,
        sorted by term then entry. `lengths` has each entry's field lengths in tokens."""
        n, width = lengths.shape
        average = np.maximum(lengths.mean(axis=0), 1.0) if n else np.ones(width)
        b = _FIELD_B[rows.field]
        norm = 1 - b + b * lengths[rows.entry, rows.field] / average[rows.field]
        weight = _FIELD_BOOST[rows.field] / norm * rows.count
        first = np.flatnonzero(np.diff(rows.term_entry, prepend=-1))
        self._weights = np.add.reduceat(weight, first).astype(np.float32)
        plain_tf = np.add.reduceat(rows.count.astype(np.float64), first)
        key = rows.term_entry[first]
        doc_length = lengths.sum(axis=1)
        relative = doc_length[key % max(n, 1)] / max(float(doc_length.mean()) if n else 1.0, 1.0)
        self._plain = (
            plain_tf
            * (_PLAIN_K1 + 1)
            / (plain_tf + _PLAIN_K1 * (1 - _PLAIN_B + _PLAIN_B * relative))
        ).astype(np.float32)
        self._postings = _Lists.from_sorted(
            key // max(n, 1), (key % max(n, 1)).astype(np.int32), len(self._terms)
        )

    def _index_phrasings(
        self, lexicon: Lexicon, docs: list[int], lengths: list[int], tokens: array[int]
    ) -> None:
        """Every way an entry is asked for or named (questions, title, aliases) on its own: a
        question that matches one phrasing closely beats words scattered over a whole entry.
        Per phrasing, `docs` has its entry and `lengths` its number of `tokens` (ids). Each
        phrasing is indexed by its distinct terms, stop words left out (a phrasing of stop
        words only is dropped)."""
        said = np.frombuffer(tokens, dtype=np.int32)
        stop = np.fromiter((t in STOP_WORDS for t in lexicon.tokens), dtype=bool)
        content = ~stop[said]
        phrasing = np.repeat(np.arange(len(docs)), lengths)[content]
        terms = np.frombuffer(lexicon.token_term, dtype=np.int32)[said[content]]
        count = max(len(lexicon.terms), 1)
        pairs = _distinct(phrasing * count + terms)
        phrasing, terms = pairs // count, pairs % count
        kept = np.zeros(len(docs), dtype=bool)
        kept[phrasing] = True
        rows = (np.cumsum(kept) - 1)[phrasing].astype(np.int32)  # numbered among the kept
        self._phrasing_owner = np.array(docs, dtype=np.int32)[kept]
        self._phrasing_size = np.bincount(rows, minlength=len(self._phrasing_owner)).astype(
            np.int32
        )
        self._phrasing_needs = np.minimum(self._phrasing_size, 2)  # shared stems for a match
        order = np.argsort(terms, kind="stable")
        terms, rows = terms[order], rows[order]
        self._phrasing_postings = _Lists.from_sorted(terms, rows, len(self._terms))
        single = self._phrasing_size[rows] == 1
        self._single_phrasings = _Lists.from_sorted(terms[single], rows[single], len(self._terms))

    def _build_names(self, entry_names: list[dict[str, float]]) -> None:
        owners: dict[str, dict[int, float]] = {}
        for doc, names in enumerate(entry_names):
            for name, weight in names.items():
                owners.setdefault(name, {})[doc] = weight
        self._names = sorted(owners)  # a name's id is its position: prefix search by bisect
        number_of = {name: number for number, name in enumerate(self._names)}
        self._title_name = np.fromiter(  # per entry, the id of its title among the names
            (number_of.get(normalize(e.title), -1) for e in self._entries),
            dtype=np.int32,
            count=len(self._entries),
        )
        self._owners = _Lists([list(owners[n]) for n in self._names])
        self._owner_weights = np.fromiter(
            chain.from_iterable(owners[n].values() for n in self._names),
            dtype=np.float32,
            count=len(self._owners.items),
        )
        # Each name's distinct tokens and stems, as (token or term, name) pairs sorted by both.
        split_names = [name.split() for name in self._names]
        token_ids = Ids()
        said = np.array(
            list(map(token_ids.__getitem__, chain.from_iterable(split_names))), dtype=np.int64
        )
        name_of = np.repeat(np.arange(len(self._names)), [len(t) for t in split_names])
        tokens = sorted(token_ids)
        token_position = np.empty(len(tokens), dtype=np.int64)
        token_position[[token_ids[t] for t in tokens]] = np.arange(len(tokens))
        names_count = max(len(self._names), 1)
        by_token = _distinct(token_position[said] * names_count + name_of)
        self._name_tokens = tokens
        self._token_names = _Lists.from_sorted(
            by_token // names_count, (by_token % names_count).astype(np.int32), len(tokens)
        )
        stems = [stem(t) for t in token_ids]  # in id order
        token_term = np.fromiter(map(self._terms.__getitem__, stems), np.int64, len(stems))
        by_term = _distinct(token_term[said] * names_count + name_of)
        term_names = (by_term % names_count).astype(np.int32)
        self._term_names = _Lists.from_sorted(by_term // names_count, term_names, len(self._terms))
        stem_length = np.zeros(len(self._terms), dtype=np.int64)
        stem_length[token_term] = np.fromiter(map(len, stems), np.int64, len(stems))
        self._name_stem_counts = np.bincount(term_names, minlength=len(self._names)).astype(
            np.int32
        )
        self._name_lengths = np.maximum(
            np.bincount(term_names, stem_length[by_term // names_count], len(self._names)), 1
        ).astype(np.int32)
        self._compact = _HashMultimap(
            [n.replace(" ", "") for n in self._names], np.arange(len(self._names))
        )

    @staticmethod
    def _name_stems(name: str) -> dict[str, None]:
        """The distinct stems of a normalized name, in order."""
        return dict.fromkeys(map(stem, name.split()))

    # ----------------------------------------------------------------- entries

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, slug: object) -> bool:
        return slug in self._ids

    def get(self, slug: str) -> Entry | None:
        """Return the entry with this slug, or None."""
        doc = self._ids.get(slug)
        return None if doc is None else self._entries[doc]

    def entries(self, category: str | None = None) -> list[Entry]:
        """All entries (optionally of one category), sorted by title."""
        if category is None:
            return list(self._by_title)
        return [e for e in self._by_title if e.category == category]

    # ----------------------------------------------------------------- query analysis

    def _df(self, s: str) -> int:
        term = self._terms.get(s)
        if term is None:
            return 0
        return int(self._postings.start[term + 1] - self._postings.start[term])

    def _known(self, word: str) -> bool:
        return stem(word) in self._terms

    def _is_name(self, text: str) -> bool:
        """Whether normalized `text` is a title, alias or slug of an entry."""
        position = bisect_left(self._names, text)
        return position < len(self._names) and self._names[position] == text

    def _is_word(self, word: str) -> bool:
        """Whether `word` occurs as typed in the knowledge base (alphabetic words only)."""
        return any(self._spelling_words[i] == word for i in self._spelling.get([word]).tolist())

    def _corrections(self, word: str) -> list[tuple[str, float]]:
        """Known words within a small edit distance of an unknown `word`, best first."""
        if len(word) < _MIN_CORRECTABLE or not word.isalpha():
            return []
        max_distance = 2 if len(word) >= 8 else 1
        keys = {word} | _deletes(word)
        if max_distance == 2:
            keys |= {d for k in list(keys) for d in _deletes(k)}
        found: dict[int, float] = {}
        for number in self._spelling.get(keys).tolist():
            candidate = self._spelling_words[number]
            distance = OSA.distance(word, candidate, score_cutoff=max_distance)
            if distance <= max_distance:
                # A one-letter slip in a short word is often another real word.
                found[number] = 1.0 - distance * (0.12 if len(word) >= 6 else 0.2)
        if len(word) < _AMBIGUOUS_BELOW and len(found) > 1:
            return []  # "love" could be "live", "move" or "lose": don't guess
        words = self._spelling_words
        ranked = sorted(found, key=lambda i: (-found[i], -self._spelling_df[i], words[i]))
        return [(words[i], found[i]) for i in ranked[:_MAX_CORRECTIONS]]

    def _analyze(self, text: str) -> list[_Word]:
        """Split a query into content words with their stem variants (never raises)."""
        tokens = tokenize(clean(text, MAX_QUERY_CHARS))
        phrases = {m.start: m for m in self.vocabulary.find([stem(t) for t in tokens])}
        words: list[_Word] = []
        position = 0
        while position < len(tokens) and len(words) < MAX_QUERY_WORDS:
            match = phrases.get(position)
            if match is not None:
                words.append(self._phrase(tokens[match.start : match.end], match.group))
                position = match.end
                continue
            token = tokens[position]
            following = tokens[position + 1] if position + 1 < len(tokens) else ""
            previous = tokens[position - 1] if position else ""
            position += 1
            if token in STOP_WORDS:
                continue
            words.append(self._word(token, previous, following))
        return words

    def _phrase(self, tokens: list[str], group: int) -> _Word:
        text = " ".join(tokens)
        if group == OUT_OF_SCOPE and not self._is_name(text):
            # Matches nothing and makes the whole question weigh less (see `_scored`).
            return _Word(text, [("", 1.0)], 1.0, len(text), known=False, out_of_scope=True)
        own = [stem(t) for t in tokens if t not in STOP_WORDS]
        group_stems = () if group == OUT_OF_SCOPE else self.vocabulary.stems(group)
        synonyms = [(s, _SYNONYM) for s in group_stems if s not in own and s in self._terms]
        known = bool(synonyms) or any(s in self._terms for s in own)
        weak = len(own) == 1 and tokens[0] in WEAK_WORDS
        length = max((len(s) for s in own), default=1)
        variants = [(s, 1.0) for s in own] + synonyms
        importance = _WEAK_IMPORTANCE if weak else 1.0
        return _Word(text, variants, importance, length, known)

    def _word(self, token: str, previous: str, following: str) -> _Word:
        variants: dict[str, float] = {}
        # Two typed words that form a known word ("roll back", "data base") also match it.
        for joined in (previous + token, token + following):
            if len(joined) > len(token) and len(joined) >= 6 and self._is_word(joined):
                variants[stem(joined)] = 1.0
        if self._known(token):
            variants[stem(token)] = 1.0
        known = bool(variants)  # a spelling correction is a guess: missing, it counts fully
        if not variants:
            for candidate, confidence in self._corrections(token):
                cs = stem(candidate)
                variants[cs] = max(variants.get(cs, 0.0), confidence)
        if not variants:
            variants[stem(token)] = 1.0  # unknown: matches nothing, counts as unexplained
        ordered = sorted(variants.items(), key=lambda kv: -kv[1])
        importance = _WEAK_IMPORTANCE if token in WEAK_WORDS else 1.0
        return _Word(token, ordered, importance, max(len(ordered[0][0]), 1), known)

    # ----------------------------------------------------------------- scoring

    def _idf(self, df: float) -> float:
        n = len(self._entries)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _word_weights(self, words: list[_Word]) -> list[float]:
        """Per query word: importance x idf of its best variant (unknown words: max idf)."""
        out: list[float] = []
        for word in words:
            best = 0.0
            for s, confidence in word.variants:
                df = self._df(s)
                if df:
                    best = max(best, confidence * self._idf(df))
            out.append(word.importance * (best if best else self._idf(0)))
        return out

    def _text_scores(
        self, words: list[_Word], weights: list[float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """BM25F coverage in [0, `_TEXT_MAX`] of every entry, and a bit mask per entry of the
        query words it contains."""
        n = len(self._entries)
        total = np.zeros(n, dtype=np.float64)
        mask = np.zeros(n, dtype=np.int64)
        active = sum(1 for w in words if w.known)
        # Several query words occurring together are evidence on their own; one word is not.
        presence = min(_PRESENCE + _PRESENCE_PER_WORD * (active - 1), _PRESENCE_MAX)
        rest = 1.0 - presence
        for bit, word in enumerate(words):
            found: list[tuple[np.ndarray, np.ndarray]] = []  # (entries, value) per variant
            for s, confidence in word.variants:
                term = self._terms.get(s)
                if term is None:
                    continue
                start, end = self._postings.start[term], self._postings.start[term + 1]
                tf = self._weights[start:end]
                idf = self._idf(int(end - start))
                value = word.importance * confidence * idf * (presence + rest * tf / (_K1 + tf))
                value = np.minimum(value, weights[bit]).astype(np.float64)  # ufunc.at's fast path
                found.append((self._postings.items[start:end], value))
            # Values are positive (idf > 0, presence > 0, confidence > 0): a sum or a best.
            if len(found) == 1:  # most words: each entry once
                docs, value = found[0]
                np.add.at(total, docs, value)
                # Each bit at most once, so adding is OR; an array, not a scalar, takes
                # ufunc.at's fast path (30x faster here).
                np.add.at(mask, docs, np.full(len(docs), 1 << bit))
            elif found:  # a word's variants: each entry's best, added to all (0 where none)
                best = np.zeros(n, dtype=np.float64)
                for docs, value in found:
                    np.maximum.at(best, docs, value)
                total += best
                mask |= (best > 0.0).astype(np.int64) << bit
        return total * (_TEXT_MAX / (sum(weights) or 1.0)), mask

    def _name_scores(self, words: list[_Word]) -> dict[int, tuple[float, float, int]]:
        """Best name score in [0, 100] per entry, with how much of the query that name explains:
        a share from whole-string similarity and a bit mask of the query words it contains.

        Candidates are the names sharing a stem with the query (or equal to it without spaces);
        only the few that can score well are examined in Python.
        """
        query = " ".join(w.text for w in words)
        if not query:
            return {}
        per_word: list[np.ndarray] = []
        for word in words:
            rows = [
                self._term_names.row(self._terms[s]) for s, _ in word.variants if s in self._terms
            ]
            if len(rows) > 1:
                per_word.append(_distinct(np.concatenate(rows)))
            else:
                per_word.append(rows[0] if rows else _EMPTY)  # a term's names are unique
        compact = query.replace(" ", "")
        exact = [
            int(i)
            for i in self._compact.get([compact])
            if self._names[i].replace(" ", "") == compact
        ]
        # Whole-string similarity catches typos; word order is handled by containment below.
        # A similar name shares a word with the query: search the names of the rarest words.
        pool: set[int] = set(exact)
        for names in sorted(per_word, key=len):
            if pool and len(pool) + len(names) > _FUZZY_POOL:
                break
            pool.update(names.tolist())
        if not pool:
            return {}
        choices = {i: self._names[i] for i in pool}
        selected: dict[int, float] = {
            key: score
            for _, score, key in process.extract(
                query, choices, scorer=fuzz.ratio, score_cutoff=_NAME_CUTOFF, limit=_NAME_SHORTLIST
            )
        }
        for name in exact:
            selected[name] = max(selected.get(name, 0.0), 99.0)
        if all(len(p) for p in per_word):
            # Names that contain every query word: the shortest ones cover the query best.
            inside = per_word[0]
            for names in per_word[1:]:
                inside = np.intersect1d(inside, names, assume_unique=True)
            shortest = heapq.nsmallest(_NAME_SHORTLIST, inside.tolist(), key=self._name_length)
            for name in shortest:
                selected.setdefault(name, 0.0)
        # Names whose every word is in the query: as many of their stems match as they have.
        terms = {self._terms[s] for w in words for s, _ in w.variants if s in self._terms}
        if terms:
            stem_rows = np.concatenate([self._term_names.row(t) for t in terms])
            matched = np.bincount(stem_rows, minlength=len(self._names))
            for name in np.flatnonzero(matched == self._name_stem_counts).tolist():
                selected.setdefault(name, 0.0)

        lengths = [w.length * w.importance for w in words]
        query_length = sum(lengths) or 1.0
        scores: dict[int, tuple[float, float, int]] = {}
        for name, fuzzy in selected.items():
            stems = self._name_stems(self._names[name]).keys()
            score = fuzzy
            similar = max(0.0, (fuzzy - 50.0) / 50.0)
            matched_length = 0.0
            matched_stems: set[str] = set()
            mask = 0
            every_word = True
            for bit, word in enumerate(words):
                for s, confidence in word.variants:
                    if s in stems:
                        matched_stems.add(s)
                        matched_length += lengths[bit] * confidence
                        mask |= 1 << bit
                        break
                else:
                    every_word = False
            if matched_stems and matched_stems >= stems:
                # The whole name is inside the query: scale by how much of the query it covers.
                score = max(score, 60.0 + 40.0 * matched_length / query_length)
            if every_word and matched_stems:
                # The whole query is inside the name: scale by how much of the name it covers.
                cover = min(matched_length / self._name_length(name), 1.0)
                score = max(score, 55.0 + 40.0 * cover)
            start, end = self._owners.start[name], self._owners.start[name + 1]
            for doc, weight in zip(
                self._owners.items[start:end].tolist(),
                self._owner_weights[start:end].tolist(),
                strict=True,
            ):
                value = score * weight
                if value > scores.get(doc, (0.0, 0.0, 0))[0]:
                    scores[doc] = (value, similar, mask)
        return scores

    def _phrasing_scores(self, words: list[_Word]) -> np.ndarray:
        """Per entry, in [0, 1], how closely its best phrasing matches the query: the
        idf-weighted share of the query's words it contains, times (1 + the share of its own
        words the query contains) / 2.

        Only words as typed count (no spelling guesses or vocabulary synonyms: the other
        signals weigh those), and a phrasing must share two of them with the query, or be a
        one-word name the query contains.
        """
        count = len(self._phrasing_owner)
        best = np.zeros(len(self._entries), dtype=np.float64)
        matched = np.zeros(count, dtype=np.float64)
        stems_in = np.zeros(count, dtype=np.int32)
        total = 0.0
        touched: list[np.ndarray] = []
        touched_terms: list[int] = []
        seen: np.ndarray | None = None  # phrasings a word with several stems has reached
        for word in words:
            own = [self._terms[s] for s, c in word.variants if c == 1.0 and s in self._terms]
            own = own if word.known else []
            rows = [self._phrasing_postings.row(term) for term in own]
            touched_terms += own
            df = max((len(r) for r in rows), default=0)
            weight = word.importance * self._idf_of(df, count)
            total += weight
            for r in rows:
                np.add.at(stems_in, r, np.ones(len(r), dtype=np.int32))  # array: fast path
            if len(rows) == 1:
                np.add.at(matched, rows[0], weight)
            elif rows:  # once per phrasing, however many of the word's stems it has
                if seen is None:
                    seen = np.zeros(count, dtype=bool)
                union = []
                for r in rows:
                    union.append(r[~seen[r]])
                    seen[union[-1]] = True
                np.add.at(matched, np.concatenate(union), weight)
                seen[np.concatenate(union)] = False
            touched += rows
        if not touched:
            return best
        # A phrasing of the longest row that shares two stems is in another row too: that row
        # is left out of the check, but for its phrasings of a single stem.
        longest = max(range(len(touched)), key=lambda i: len(touched[i]))
        rest = touched[:longest] + touched[longest + 1 :]
        hit = np.concatenate(rest) if rest else _EMPTY  # repeats are harmless below
        hit = hit[stems_in[hit] >= self._phrasing_needs[hit]]  # two, or all of a one-word name
        hit = np.concatenate((hit, self._single_phrasings.row(touched_terms[longest])))
        share = np.minimum(stems_in[hit] / self._phrasing_size[hit], 1.0)
        np.maximum.at(best, self._phrasing_owner[hit], matched[hit] / total * (1 + share) / 2)
        return best

    @staticmethod
    def _idf_of(df: int, count: int) -> float:
        return math.log(1.0 + (count - df + 0.5) / (df + 0.5))

    def _name_length(self, name: int) -> int:
        return int(self._name_lengths[name])

    def _scored(
        self, text: str, min_score: float = 0.0, top: int | None = None
    ) -> list[tuple[float, int]]:
        """(raw score, entry id) pairs at or above `min_score`, best first (ties by title); only
        the best `top` when given.

        Raw scores can exceed 100 when names and text agree; `Hit.score` is clamped.
        """
        if not self._entries:
            return []
        words = self._analyze(text)
        if not words:
            return []
        weights = self._word_weights(words)
        total_weight = sum(weights) or 1.0
        # A query of common or generic words is vague: only a name that equals it is confident.
        specific = 1.0
        if len(self._entries) >= _MIN_STATS_DOCS:  # document frequencies mean little below that
            specific = min(total_weight / self._idf(_SPECIFIC_SHARE * len(self._entries)), 1.0)
        vague = _VAGUE_FLOOR + (1.0 - _VAGUE_FLOOR) * specific
        scope = OUT_OF_SCOPE_FACTOR if any(word.out_of_scope for word in words) else 1.0
        # What a missing word costs: all of its weight if the knowledge base does not know it.
        missing_cost = [
            w * (_KNOWN_ABSENT if word.known else 1.0)
            for w, word in zip(weights, words, strict=True)
        ]
        several = sum(1 for w in words if w.importance == 1.0) > 1

        def unexplained_of(masks: np.ndarray) -> np.ndarray:
            """What the found words in `masks` leave unexplained: per mask, or through a table
            with one slot per combination of found words when there are fewer of those."""
            table = len(masks) > (1 << len(words))
            keys = np.arange(1 << len(words), dtype=np.int64) if table else masks
            unexplained = np.zeros(len(keys), dtype=np.float64)
            for bit, cost in enumerate(missing_cost):
                unexplained += cost * ((keys >> bit) & 1 == 0)
            return unexplained[masks] if table else unexplained

        def factors(masks: np.ndarray, similar: np.ndarray | float = 0.0) -> np.ndarray:
            """Score factor of entries whose names and text contain the query words in `masks`,
            with a name `similar` to the whole query."""
            unexplained = unexplained_of(masks)
            share = np.minimum(np.maximum(similar, 1.0 - unexplained / total_weight), 1.0)
            value = 1.0 - _UNEXPLAINED_PENALTY * (1.0 - share)
            unlike = np.broadcast_to(np.asarray(similar) < _SAME_NAME, value.shape)
            value[unlike] *= vague * scope
            if several:  # one word of a longer question is weak evidence
                value[unlike & (masks & (masks - 1) == 0)] *= _LONE_WORD
            return value

        text_score, text_mask = self._text_scores(words, weights)
        phrasing = self._phrasing_scores(words) * (_PHRASING_MAX * vague * scope)
        docs = np.flatnonzero((text_score + phrasing) * (1.0 + _AGREEMENT) >= min_score)
        scores = text_score[docs] * factors(text_mask[docs]) + phrasing[docs]
        named = self._name_scores(words)
        if named:
            name_docs = np.fromiter(named, dtype=np.int64, count=len(named))
            name, similar, name_mask = (
                np.array(column) for column in zip(*named.values(), strict=True)
            )
            named_text = text_score[name_docs]
            high, low = np.maximum(name, named_text), np.minimum(name, named_text)
            masks = name_mask.astype(np.int64) | text_mask[name_docs]
            name_scores = (high + _AGREEMENT * low) * factors(masks, similar)
            keep = ~np.isin(docs, name_docs)
            docs = np.concatenate([docs[keep], name_docs])
            scores = np.concatenate([scores[keep], name_scores + phrasing[name_docs]])
        keep = scores >= min_score
        docs, scores = docs[keep], scores[keep]
        if top is not None and len(docs) > top:
            # Everything tied with the top-th best stays, so ties are still broken by title.
            cut = np.partition(scores, len(scores) - top)[len(scores) - top]
            keep = scores >= cut
            docs, scores = docs[keep], scores[keep]
        order = np.lexsort((self._rank[docs], -scores))[:top]
        return list(zip(scores[order].tolist(), docs[order].tolist(), strict=True))

    def _plain_scores(self, text: str, docs: np.ndarray) -> np.ndarray:
        """Plain BM25 of `docs` over their whole text, every typed word counted (stop words
        too: "when" and "who" tell timeline from reviewers), with no synonyms or corrections."""
        total = np.zeros(len(docs), dtype=np.float64)
        for token in tokenize(clean(text, MAX_QUERY_CHARS))[: 2 * MAX_QUERY_WORDS]:
            term = self._terms.get(stem(token))
            if term is None:
                continue
            start, end = self._postings.start[term], self._postings.start[term + 1]
            row = self._postings.items[start:end]
            at = np.minimum(np.searchsorted(row, docs), len(row) - 1)
            found = row[at] == docs
            total[found] += self._idf(int(end - start)) * self._plain[start + at[found]]
        return total

    def _fused_order(self, text: str, docs: np.ndarray, scores: np.ndarray) -> list[int]:
        """Positions of `docs` (a ranking, best first, with its `scores`) in the order of the
        two scores summed, the ranking's and plain BM25's, each as a share of its best.
        The engine reads a question's words for what they mean (names, synonyms, phrasings);
        plain BM25 counts how much an entry uses them. Each ranks right some questions the other
        misses, so together they rank better than either (`docs/benchmarks.md`); which
        questions get an answer at all stays the caller's call."""
        positions = np.arange(len(docs))
        best = float(scores.max(initial=0.0))
        if not math.isfinite(best) or best <= 0.0:
            return positions.tolist()  # no scale to share: keep the ranking as it came
        plain = self._plain_scores(text, docs)
        fused = scores / best + _PLAIN_SHARE * plain / max(float(plain.max()), 1e-9)
        order: list[int] = np.lexsort((positions, -fused)).tolist()
        return order

    def rerank(self, text: str, ranking: Sequence[tuple[str, float]]) -> list[int]:
        """Positions of `ranking` ((slug, score) pairs of another search, best first) in the
        order fused with plain BM25's, as `search` orders its own (the semantic search)."""
        docs = np.array([self._ids.get(slug, -1) for slug, _ in ranking], dtype=np.int32)
        scores = np.array([score for _, score in ranking], dtype=np.float64)
        return self._fused_order(text, docs, scores)

    def _hit(self, doc: int, score: float) -> Hit:
        entry = self._entries[doc]
        return Hit(entry.slug, entry.title, entry.category, max(0, min(100, math.floor(score))))

    # ----------------------------------------------------------------- public queries

    def scores(self, query: str, top: int) -> list[tuple[str, float]]:
        """(slug, raw score) of the best `top` entries for `query`, best first, with no cut:
        the text evidence another signal (`semantic.py`) is fused with."""
        if not isinstance(query, str) or top <= 0:
            return []
        return [(self._entries[doc].slug, score) for score, doc in self._scored(query, top=top)]

    def out_of_scope(self, query: str) -> bool:
        """Whether `query` names something the program does not cover (the vocabulary's
        `out_of_scope`: "flutter", "css grid")."""
        return isinstance(query, str) and any(w.out_of_scope for w in self._analyze(query))

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """Rank entries for a free-text query: confident hits and "closest match" suggestions.

        Never raises; nonsense returns an empty result.
        """
        if not isinstance(query, str) or limit <= 0:
            return SearchResult()
        ranked = self._scored(query, _ANY_SCORE, top=max(RERANK_POOL, limit))
        if not ranked or ranked[0][0] < SUGGEST_SCORE:
            return SearchResult()  # nothing is close enough: the question is off-topic
        best = ranked[0][0]
        docs = np.array([doc for _, doc in ranked], dtype=np.int32)
        order = self._fused_order(query, docs, np.array([score for score, _ in ranked]))
        shown = [(ranked[i][0], self._hit(ranked[i][1], ranked[i][0])) for i in order[:limit]]
        return answer_or_suggestions(shown, best, HIT_SCORE, HIT_MARGIN)

    def autocomplete(
        self, text: str, limit: int = 25, *, answer_questions: bool = True
    ) -> tuple[Hit, ...]:
        """Entries for partially typed text, prefix-friendly; empty text lists the first titles.

        Never raises. Ranking: for a typed question (several words), what `search` finds
        (unless `answer_questions` is false: a caller with its own answers); then names
        starting with the text, names in which every typed word starts a word (any order), and
        fuzzy matches (typos).
        """
        if not isinstance(text, str) or limit <= 0:
            return ()
        typed = normalize(clean(text, MAX_QUERY_CHARS))
        if not typed:
            return tuple(self._hit(self._ids[e.slug], 0) for e in self._by_title[:limit])
        found: dict[int, float] = {}
        budget = _COMPLETION_BUDGET * limit

        if answer_questions and len(typed.split()) >= _QUESTION_WORDS:  # /learn's answers first
            answers = self.search(typed, limit).ranked
            for position, hit in enumerate(h for h in answers if h.score >= SUGGEST_SCORE):
                found[self._ids[hit.slug]] = 200.0 - position

        def offer(name: int, base: float, span: float) -> None:
            closeness = min(len(typed) / len(self._names[name]), 1.0)
            start, end = self._owners.start[name], self._owners.start[name + 1]
            for doc, weight in zip(
                self._owners.items[start:end].tolist(),
                self._owner_weights[start:end].tolist(),
                strict=True,
            ):
                if name != self._title_name[doc]:
                    weight *= _OTHER_NAME_COMPLETION  # titles first
                score = (base + span * closeness) * weight
                if score > found.get(doc, -1.0):
                    found[doc] = score

        # 1. Names starting with the text; sorted order puts shorter names first.
        start = bisect_left(self._names, typed)
        for name in range(start, min(start + budget, len(self._names))):
            if not self._names[name].startswith(typed):
                break
            offer(name, 90.0, 10.0)

        # 2. Every typed word starts a word of the name, in any order.
        if len(found) < limit:
            *complete, partial = typed.split()
            needed = [stem(w) for w in complete if w not in STOP_WORDS]
            pool: list[int] = []
            if needed and all(s in self._terms for s in needed):
                inside = self._term_names.row(self._terms[needed[0]])
                for s in needed[1:]:
                    inside = np.intersect1d(inside, self._term_names.row(self._terms[s]))
                pool = heapq.nsmallest(budget, inside.tolist(), key=self._name_length)
            elif not needed:
                first = bisect_left(self._name_tokens, partial)
                for index in range(first, min(first + budget, len(self._name_tokens))):
                    if not self._name_tokens[index].startswith(partial) or len(pool) >= budget:
                        break
                    pool.extend(self._token_names.row(index).tolist())
            for name in pool:
                if any(t.startswith(partial) for t in self._names[name].split()):
                    offer(name, 70.0, 15.0)

        # 3. Typos: fall back to fuzzy search.
        if len(found) < limit and len(typed) >= 3:
            for score, doc in self._scored(typed, SUGGEST_SCORE, top=limit * 2):
                if doc not in found:
                    found[doc] = min(score, 69.0)

        ranked = sorted(found.items(), key=lambda kv: (-kv[1], self._rank[kv[0]]))
        return tuple(self._hit(doc, min(score, 100.0)) for doc, score in ranked[:limit])
