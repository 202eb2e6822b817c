"""In-memory search over knowledge entries: one index for `/learn`, autocomplete and the CLI.

Two signals are combined into one 0-100 score per entry:

* **Names** (titles, aliases, slugs): rapidfuzz similarity between the folded query and each
  folded name, plus token containment (a name wholly inside the query, or the query wholly
  inside a name), scaled by how much of the other side it covers so that a short name inside
  a long query never scores 100.
* **Full text** (names, tags, summary, body): BM25F over folded, lightly stemmed tokens through
  an inverted index, so only postings of the query's terms are touched. The score is the
  idf-weighted, saturated coverage of the query terms, so a document that matches one word of
  a two-word query can never look confident.

Query words that are not in the vocabulary are corrected by a symmetric-delete spelling index
(Damerau-Levenshtein distance 1, or 2 for long words). Nothing here touches a database or
Discord; updates (`upsert`/`remove`) are incremental and derived sorted arrays are rebuilt
lazily on the next query that needs them.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.knowledge.entry import Entry
from bot.knowledge.text import (
    MAX_QUERY_CHARS,
    STOP_WORDS,
    clean,
    content_words,
    fold,
    normalize,
    stem,
    tokenize,
)

_Positions = list[list[tuple[str, float]]]
"""Per query word: its (stem, weight) variants, the exact word or its spelling corrections."""

# Thresholds of the final 0-100 score (calibrated on tests/knowledge/relevance/*.yaml).
HIT_SCORE = 78
"""A result at or above this score is confident."""
SUGGEST_SCORE = 62
"""A result at or above this score (and below `HIT_SCORE`) is a "did you mean" suggestion."""
HIT_MARGIN = 22
"""Confident results more than this far below the best one are demoted to suggestions."""

MAX_QUERY_WORDS = 12
_FIELD_BOOST = {"name": 3.0, "tag": 1.5, "summary": 1.2, "body": 1.0}
_FIELD_B = {"name": 0.3, "tag": 0.3, "summary": 0.5, "body": 0.75}
_K1 = 1.2
_TEXT_MAX = 90.0  # full-text evidence alone never looks like an exact name match
_AGREEMENT = 0.15  # share of the weaker signal added to the stronger one
_PRESENCE = 0.6  # share of a term's credit earned by occurring at all (the rest grows with tf)
_TOP_POSTINGS = 256  # common terms only contribute their highest-impact postings as candidates
_NAME_FIELDS_WEIGHT = {"title": 1.0, "alias": 1.0, "slug": 0.97}
_MIN_CORRECTABLE = 4  # words shorter than this are never spell-corrected
_MAX_CORRECTIONS = 4
_NAME_CUTOFF = 50.0  # fuzzy name similarities below this are ignored
_NAME_SHORTLIST = 64  # at most this many names per kind of name match are examined
_SUBSET_MAX = 4  # names made only of query words are found among subsets up to this size


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching entry with a 0-100 score."""

    slug: str
    title: str
    category: str
    score: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Confident `hits` (best first) and non-confident "did you mean" `suggestions`."""

    hits: tuple[Hit, ...] = ()
    suggestions: tuple[Hit, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.hits or self.suggestions)


@dataclass(slots=True)
class _Doc:
    entry: Entry
    sort_key: tuple[str, str]
    names: dict[str, float]  # normalized name -> weight of its kind
    weights: dict[str, float]  # stem -> BM25F pseudo term frequency
    vocab: set[str] = field(default_factory=set)  # raw tokens, for the spelling index


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _field_tokens(entry: Entry) -> dict[str, list[str]]:
    names = [entry.title, *entry.aliases, entry.slug.replace("-", " ")]
    return {
        "name": [t for n in names for t in tokenize(n)],
        "tag": [t for tag in entry.tags for t in tokenize(tag)],
        "summary": tokenize(entry.summary),
        "body": tokenize(entry.body),
    }


class SearchIndex:
    """Fuzzy + full-text index over `Entry` objects, updated in place.

    All public methods are total: any query string (empty, huge, emoji, control characters,
    Discord mentions, Markdown) returns a result instead of raising.
    """

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._build(list(entries))

    def _build(self, entries: list[Entry]) -> None:
        self._docs: dict[str, _Doc] = {}
        self._name_docs: dict[str, dict[str, float]] = {}  # name -> {slug: weight}
        self._name_stems: dict[str, frozenset[str]] = {}  # name -> stems of its tokens
        self._stemset_names: dict[frozenset[str], set[str]] = {}  # stems -> names made of them
        self._name_length: dict[str, int] = {}  # name -> total length of its stems
        self._stem_names: dict[str, set[str]] = {}  # stem -> names containing it
        self._compact: dict[str, set[str]] = {}  # name without spaces -> names
        self._postings: dict[str, dict[str, float]] = {}  # stem -> {slug: weight}
        self._vocab: dict[str, int] = {}  # raw token -> number of documents
        self._spell: dict[str, set[str]] = {}  # deletion variant -> raw tokens
        self._avg: dict[str, float] = {}
        self._stats_size = 0
        # Lazily rebuilt derived arrays.
        self._sorted_names: list[str] | None = None
        self._sorted_tokens: list[str] | None = None
        self._sorted_entries: list[Entry] | None = None
        self._top: dict[str, list[str]] = {}  # stem -> slugs by descending weight
        self._refresh_stats([_field_tokens(e) for e in entries])
        for entry in entries:
            self._insert(entry)

    # ----------------------------------------------------------------- maintenance

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, slug: object) -> bool:
        return slug in self._docs

    def get(self, slug: str) -> Entry | None:
        """Return the entry with this slug, or None."""
        doc = self._docs.get(slug)
        return doc.entry if doc else None

    def entries(self, category: str | None = None) -> list[Entry]:
        """All entries (optionally of one category), sorted by title."""
        if self._sorted_entries is None:
            docs = sorted(self._docs.values(), key=lambda d: d.sort_key)
            self._sorted_entries = [d.entry for d in docs]
        if category is None:
            return list(self._sorted_entries)
        return [e for e in self._sorted_entries if e.category == category]

    def upsert(self, entry: Entry) -> None:
        """Add `entry`, or replace the entry with the same slug; visible to the next query."""
        if entry.slug in self._docs:
            self._delete(entry.slug)
        size = len(self._docs) + 1
        if self._stats_size == 0 or not (0.8 <= size / self._stats_size <= 1.25):
            self._rebuild(extra=entry)
        else:
            self._insert(entry)

    def remove(self, slug: str) -> bool:
        """Remove the entry with this slug; return whether it was there."""
        if slug not in self._docs:
            return False
        self._delete(slug)
        return True

    def _refresh_stats(self, field_tokens: list[dict[str, list[str]]]) -> None:
        count = max(len(field_tokens), 1)
        self._avg = {
            name: max(sum(len(f[name]) for f in field_tokens) / count, 1.0) for name in _FIELD_B
        }
        self._stats_size = len(field_tokens)

    def _rebuild(self, extra: Entry | None = None) -> None:
        entries = [d.entry for d in self._docs.values()]
        if extra is not None:
            entries.append(extra)
        self._build(entries)

    def _invalidate(self) -> None:
        self._sorted_names = None
        self._sorted_tokens = None
        self._sorted_entries = None

    def _insert(self, entry: Entry) -> None:
        fields = _field_tokens(entry)
        names: dict[str, float] = {}
        for kind, raw in (
            ("title", entry.title),
            *(("alias", a) for a in entry.aliases),
            ("slug", entry.slug.replace("-", " ")),
        ):
            key = normalize(raw)
            if key:
                names[key] = max(names.get(key, 0.0), _NAME_FIELDS_WEIGHT[kind])
        weights: dict[str, float] = {}
        for name, tokens in fields.items():
            norm = 1 - _FIELD_B[name] + _FIELD_B[name] * len(tokens) / self._avg[name]
            boost = _FIELD_BOOST[name] / norm
            counts: dict[str, int] = {}
            for token in tokens:
                s = stem(token)
                counts[s] = counts.get(s, 0) + 1
            for s, tf in counts.items():
                weights[s] = weights.get(s, 0.0) + boost * tf
        vocab = {t for tokens in fields.values() for t in tokens}
        doc = _Doc(
            entry=entry,
            sort_key=(fold(entry.title), entry.slug),
            names=names,
            weights=weights,
            vocab=vocab,
        )
        slug = entry.slug
        self._docs[slug] = doc
        for name, weight in names.items():
            owners = self._name_docs.setdefault(name, {})
            if not owners:
                tokens = name.split()
                stems = frozenset(stem(t) for t in tokens)
                self._name_stems[name] = stems
                self._stemset_names.setdefault(stems, set()).add(name)
                self._name_length[name] = max(sum(len(x) for x in stems), 1)
                for s in stems:
                    self._stem_names.setdefault(s, set()).add(name)
                self._compact.setdefault(name.replace(" ", ""), set()).add(name)
            owners[slug] = weight
        for s, w in weights.items():
            self._postings.setdefault(s, {})[slug] = w
            self._top.pop(s, None)
        for token in vocab:
            count = self._vocab.get(token, 0)
            self._vocab[token] = count + 1
            if count == 0 and len(token) >= _MIN_CORRECTABLE and token.isalpha():
                for key in (token, *_deletes(token)):
                    self._spell.setdefault(key, set()).add(token)
        self._invalidate()

    def _delete(self, slug: str) -> None:
        doc = self._docs.pop(slug)
        for name in doc.names:
            owners = self._name_docs.get(name)
            if owners is None:
                continue
            owners.pop(slug, None)
            if not owners:
                del self._name_docs[name]
                self._name_length.pop(name, None)
                stems = self._name_stems.pop(name, frozenset())
                same_stems = self._stemset_names.get(stems)
                if same_stems is not None:
                    same_stems.discard(name)
                    if not same_stems:
                        del self._stemset_names[stems]
                for s in stems:
                    names = self._stem_names.get(s)
                    if names is not None:
                        names.discard(name)
                        if not names:
                            del self._stem_names[s]
                compact = name.replace(" ", "")
                same = self._compact.get(compact)
                if same is not None:
                    same.discard(name)
                    if not same:
                        del self._compact[compact]
        for s in doc.weights:
            postings = self._postings.get(s)
            if postings is not None:
                postings.pop(slug, None)
                if not postings:
                    del self._postings[s]
            self._top.pop(s, None)
        for token in doc.vocab:
            count = self._vocab.get(token, 0) - 1
            if count <= 0:
                self._vocab.pop(token, None)  # its spelling keys are filtered at lookup
            else:
                self._vocab[token] = count
        self._invalidate()

    # ----------------------------------------------------------------- query analysis

    def _corrections(self, word: str) -> list[tuple[str, float]]:
        """Known words within a small edit distance of an unknown `word`, best first."""
        if len(word) < _MIN_CORRECTABLE or not word.isalpha():
            return []
        max_distance = 2 if len(word) >= 8 else 1
        keys = {word} | _deletes(word)
        if max_distance == 2:
            keys |= {d for k in list(keys) for d in _deletes(k)}
        found: dict[str, float] = {}
        for key in keys:
            for candidate in self._spell.get(key, ()):
                if candidate in found or candidate not in self._vocab:
                    continue
                distance = OSA.distance(word, candidate, score_cutoff=max_distance)
                if distance <= max_distance:
                    found[candidate] = 1.0 - 0.12 * distance
        ranked = sorted(found.items(), key=lambda kv: (-kv[1], -self._vocab[kv[0]], kv[0]))
        return ranked[:_MAX_CORRECTIONS]

    def _analyze(self, text: str) -> tuple[str, _Positions]:
        """Return (name query string, per-word stem variants with weights)."""
        words = content_words(tokenize(clean(text, MAX_QUERY_CHARS)))[:MAX_QUERY_WORDS]
        positions: _Positions = []
        for word in words:
            variants: dict[str, float] = {}
            s = stem(word)
            if word in self._vocab or s in self._postings or s in self._stem_names:
                variants[s] = 1.0
            else:
                for candidate, weight in self._corrections(word):
                    cs = stem(candidate)
                    variants[cs] = max(variants.get(cs, 0.0), weight)
                if not variants:
                    variants[s] = 1.0  # unknown word: still counts against coverage
            positions.append(sorted(variants.items(), key=lambda kv: -kv[1]))
        return " ".join(words), positions

    # ----------------------------------------------------------------- scoring

    def _idf(self, df: int) -> float:
        n = len(self._docs)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _top_postings(self, s: str) -> list[str]:
        top = self._top.get(s)
        if top is None:
            postings = self._postings.get(s, {})
            top = sorted(postings, key=postings.__getitem__, reverse=True)[:_TOP_POSTINGS]
            self._top[s] = top
        return top

    def _text_scores(self, positions: _Positions, extra: Iterable[str]) -> dict[str, float]:
        """BM25F coverage in [0, 100] for candidate documents."""
        candidates: set[str] = set(extra)
        total_idf = 0.0
        max_idf = self._idf(0)
        plan: list[list[tuple[dict[str, float], float]]] = []
        for variants in positions:
            best_idf = 0.0
            terms: list[tuple[dict[str, float], float]] = []
            for s, weight in variants:
                postings = self._postings.get(s)
                if not postings:
                    continue
                idf = self._idf(len(postings))
                best_idf = max(best_idf, idf)
                terms.append((postings, weight * idf))
                if len(postings) <= _TOP_POSTINGS:
                    candidates.update(postings)
                else:
                    candidates.update(self._top_postings(s))
            total_idf += best_idf if terms else max_idf
            plan.append(terms)
        if not candidates or total_idf <= 0:
            return {}
        scores: dict[str, float] = {}
        for slug in candidates:
            total = 0.0
            for terms in plan:
                best = 0.0
                for postings, weighted_idf in terms:
                    w = postings.get(slug)
                    if w:
                        value = weighted_idf * (_PRESENCE + (1.0 - _PRESENCE) * w / (_K1 + w))
                        if value > best:
                            best = value
                total += best
            if total > 0:
                scores[slug] = _TEXT_MAX * total / total_idf
        return scores

    def _name_scores(self, query: str, positions: _Positions) -> dict[str, float]:
        """Best name score in [0, 100] per slug.

        Candidates are the names sharing a stem with the query (or equal to it without
        spaces); only the few that can score well are examined in Python.
        """
        if not query:
            return {}
        per_position: list[set[str]] = []
        for variants in positions:
            sets = [self._stem_names[s] for s, _ in variants if s in self._stem_names]
            per_position.append(set().union(*sets))
        compact = query.replace(" ", "")
        exact = self._compact.get(compact, set())
        union = set().union(exact, *per_position)
        if not union:
            return {}
        selected: dict[str, float] = {}
        choices = list(union)
        for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
            for name, score, _ in process.extract(
                query, choices, scorer=scorer, score_cutoff=_NAME_CUTOFF, limit=_NAME_SHORTLIST
            ):
                if score > selected.get(name, 0.0):
                    selected[name] = score
        for name in exact:
            selected[name] = max(selected.get(name, 0.0), 99.0)
        if all(per_position):
            # Names that contain every query word: the shortest ones cover the query best.
            inside = set.intersection(*per_position)
            for name in heapq.nsmallest(_NAME_SHORTLIST, inside, key=self._name_length.get):
                selected.setdefault(name, 0.0)
        # Names whose every word is in the query: look up small subsets of the query's stems.
        stems = sorted(
            {st for variants in positions for st, _ in variants} & self._stem_names.keys()
        )
        largest = min(len(stems), _SUBSET_MAX if len(stems) <= 8 else _SUBSET_MAX - 1)
        for size in range(1, largest + 1):
            for subset in combinations(stems, size):
                for name in self._stemset_names.get(frozenset(subset), ()):
                    selected.setdefault(name, 0.0)

        word_lengths = [max(len(variants[0][0]), 1) for variants in positions]
        query_length = sum(word_lengths)
        scores: dict[str, float] = {}
        for name, fuzzy in selected.items():
            stems = self._name_stems[name]
            score = fuzzy
            matched_length = 0.0
            matched_stems: set[str] = set()
            all_words_in_name = True
            for variants, length in zip(positions, word_lengths, strict=True):
                found = next(((s, w) for s, w in variants if s in stems), None)
                if found is None:
                    all_words_in_name = False
                    continue
                matched_stems.add(found[0])
                matched_length += length * found[1]
            if matched_stems and matched_stems >= stems:
                # The whole name is inside the query: scale by how much of the query it covers.
                score = max(score, 60.0 + 40.0 * matched_length / query_length)
            if all_words_in_name and matched_stems:
                # The whole query is inside the name: scale by how much of the name it covers.
                cover = min(matched_length / self._name_length[name], 1.0)
                score = max(score, 55.0 + 40.0 * cover)
            for slug, weight in self._name_docs[name].items():
                value = score * weight
                if value > scores.get(slug, 0.0):
                    scores[slug] = value
        return scores

    def _scored(self, text: str, min_score: float = 0.0) -> list[tuple[float, str]]:
        """(score, slug) pairs at or above `min_score`, best first (ties by title)."""
        query, positions = self._analyze(text)
        if not positions or not self._docs:
            return []
        name_scores = self._name_scores(query, positions)
        text_scores = self._text_scores(positions, name_scores)
        combined: list[tuple[float, str]] = []
        for slug in set(name_scores) | set(text_scores):
            n = name_scores.get(slug, 0.0)
            t = text_scores.get(slug, 0.0)
            high, low = (n, t) if n >= t else (t, n)
            score = high + _AGREEMENT * low
            if score >= min_score:
                combined.append((score, slug))
        combined.sort(key=lambda pair: (-pair[0], self._docs[pair[1]].sort_key))
        return combined

    def _hit(self, slug: str, score: float) -> Hit:
        entry = self._docs[slug].entry
        return Hit(entry.slug, entry.title, entry.category, max(0, min(100, round(score))))

    # ----------------------------------------------------------------- public queries

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """Rank entries for a free-text query: confident hits and "did you mean" suggestions.

        Never raises; nonsense returns an empty result.
        """
        if not isinstance(query, str) or limit <= 0:
            return SearchResult()
        ranked = self._scored(query, SUGGEST_SCORE)
        if not ranked:
            return SearchResult()
        best = ranked[0][0]
        hits: list[Hit] = []
        suggestions: list[Hit] = []
        for score, slug in ranked:
            if score >= HIT_SCORE and score >= best - HIT_MARGIN:
                if len(hits) < limit:
                    hits.append(self._hit(slug, score))
            elif score >= SUGGEST_SCORE and len(suggestions) < limit:
                suggestions.append(self._hit(slug, score))
            if len(hits) >= limit and len(suggestions) >= limit:
                break
        return SearchResult(tuple(hits), tuple(suggestions))

    def _sorted_name_list(self) -> list[str]:
        if self._sorted_names is None:
            self._sorted_names = sorted(self._name_docs)
        return self._sorted_names

    def _sorted_token_list(self) -> list[str]:
        if self._sorted_tokens is None:
            self._sorted_tokens = sorted({t for name in self._name_docs for t in name.split()})
        return self._sorted_tokens

    def autocomplete(self, text: str, limit: int = 25) -> tuple[Hit, ...]:
        """Entries for partially typed text, prefix-friendly; empty text lists the first titles.

        Never raises. Scores: full-name prefix > every typed word a word prefix > fuzzy.
        """
        if not isinstance(text, str) or limit <= 0:
            return ()
        typed = normalize(clean(text, MAX_QUERY_CHARS))
        if not typed:
            return tuple(self._hit(e.slug, 0) for e in self.entries()[:limit])
        found: dict[str, float] = {}

        def offer(slug: str, score: float) -> None:
            if score > found.get(slug, -1.0):
                found[slug] = score

        budget = 20 * limit
        names = self._sorted_name_list()
        index = bisect_left(names, typed)
        while index < len(names) and names[index].startswith(typed) and budget > 0:
            name = names[index]
            closeness = len(typed) / len(name)
            for slug, weight in self._name_docs[name].items():
                offer(slug, (90.0 + 10.0 * closeness) * weight)
            index += 1
            budget -= 1

        words = typed.split()
        if len(found) < limit and words:
            *complete, partial = words
            tokens = self._sorted_token_list()
            index = bisect_left(tokens, partial)
            stems_needed = {stem(w) for w in complete if w not in STOP_WORDS}
            budget = 20 * limit
            while index < len(tokens) and tokens[index].startswith(partial) and budget > 0:
                token = tokens[index]
                for name in self._stem_names.get(stem(token), ()):
                    if not stems_needed <= self._name_stems[name]:
                        continue
                    if token not in name.split():
                        continue
                    closeness = len(typed) / len(name)
                    for slug, weight in self._name_docs[name].items():
                        offer(slug, (70.0 + 15.0 * closeness) * weight)
                index += 1
                budget -= 1

        if len(found) < limit and len(typed) >= 3:
            for score, slug in self._scored(typed, SUGGEST_SCORE)[: limit * 2]:
                offer(slug, min(score, 69.0))

        ranked = sorted(found.items(), key=lambda kv: (-kv[1], self._docs[kv[0]].sort_key))
        return tuple(self._hit(slug, score) for slug, score in ranked[:limit])
