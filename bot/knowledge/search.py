"""In-memory search over knowledge entries: one index for `/learn`, autocomplete and the CLI.

Two signals are combined into one score per entry (0-100 as shown; raw scores may exceed 100
when both signals agree):

* **Names** (titles, aliases, slugs): rapidfuzz `ratio` between the folded query and each folded
  name (typos), plus word containment: a name wholly inside the query, or the query wholly
  inside a name, scaled by how much of the other side it covers, so that a short name inside a
  long query (`n+1` in "banana n+1") never scores 100.
* **Full text** (names, tags, summary, body): BM25F over folded, lightly stemmed tokens through
  an inverted index, so only postings of the query's words are touched (MaxScore: the postings
  of words too common to lift an entry to the threshold are only looked up, never walked). The
  score is the idf-weighted, saturated coverage of the query's words, capped below an exact
  name match.

Then the entry's score is scaled down by the share of the query (idf-weighted) that neither
its names nor its text contain, and for vague queries (only common or generic words) unless a
name equals the query. That is how nonsense ("banana spaceship", "capital of peru") ends with
nothing, not with the least bad entry.

Query analysis: Discord markup, URLs and stop words (question words, chat filler) are dropped;
generic English words (`text.WEAK_WORDS`) weigh less; two typed words forming a known word
("roll back") also match it; unknown words are corrected through a symmetric-delete spelling
index (Damerau-Levenshtein distance 1, 2 for long words; a short word only when exactly one
known word is that close). Nothing here touches a database or Discord; `upsert`/`remove` are
incremental and derived sorted arrays are rebuilt lazily on the next query that needs them.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.knowledge.entry import Entry
from bot.knowledge.text import (
    MAX_QUERY_CHARS,
    STOP_WORDS,
    WEAK_WORDS,
    clean,
    content_words,
    fold,
    normalize,
    stem,
    tokenize,
)

_K = TypeVar("_K")

# Thresholds of the final 0-100 score (calibrated on tests/knowledge/relevance/*.yaml).
HIT_SCORE = 78
"""A result at or above this score is confident."""
SUGGEST_SCORE = 62
"""A result at or above this score (and below `HIT_SCORE`) is a "did you mean" suggestion."""
HIT_MARGIN = 22
"""Confident results more than this far below the best one are demoted to suggestions."""

MAX_QUERY_WORDS = 12
"""Words beyond this many (after stop words are dropped) are ignored."""

_FIELD_BOOST = {"name": 2.0, "tag": 1.5, "summary": 1.2, "body": 1.0}
_FIELD_B = {"name": 0.3, "tag": 0.3, "summary": 0.5, "body": 0.75}
_K1 = 1.2
_TEXT_MAX = 90.0  # full-text evidence alone never looks like an exact name match
_UNEXPLAINED_PENALTY = 0.5  # score factor lost when no query word is accounted for
_AGREEMENT = 0.15  # share of the weaker signal added to the stronger one
_PRESENCE = 0.55  # share of a term's credit earned by occurring at all (the rest grows with tf)
_PRESENCE_PER_WORD = 0.07  # ... plus this much per extra known query word
_PRESENCE_MAX = 0.8
_SPECIFIC_SHARE = 0.05  # a query whose words weigh like one word in 5% of entries is specific
_VAGUE_FLOOR = 0.4  # score factor of a query with no specific word at all
_SAME_NAME = 0.6  # `similar` share (fuzzy ratio 80) above which a name counts as the query
_MIN_STATS_DOCS = 20
_WEAK_IMPORTANCE = 0.35  # weight of generic English words (`text.WEAK_WORDS`)
_FULL_WALK = 400  # postings up to this long are walked in full (exact ranking below that)...
_TOP_POSTINGS = 64  # ...longer ones only contribute their highest-impact postings as candidates
_NAME_FIELDS_WEIGHT = {"title": 1.0, "alias": 1.0, "slug": 0.97}
_MIN_CORRECTABLE = 4  # words shorter than this are never spell-corrected
_MAX_CORRECTIONS = 4
_AMBIGUOUS_BELOW = 6  # shorter words are only corrected when exactly one known word is close
_NAME_CUTOFF = 50.0  # fuzzy name similarities below this are ignored
_NAME_SHORTLIST = 32  # at most this many names per kind of name match are examined
_FUZZY_POOL = 800  # names compared as whole strings (the rarest query words' names first)
_SUBSET_MAX = 4  # names made only of query words are found among subsets up to this size
_OTHER_NAME_COMPLETION = 0.96  # autocomplete: an alias or slug prefix ranks below a title's
_COMPLETION_BUDGET = 4  # autocomplete examines about this many names per requested result


@dataclass(slots=True)
class _Word:
    """One analysed query word."""

    text: str  # folded token as typed
    variants: list[tuple[str, float]]  # (stem, confidence): the word itself or corrections
    importance: float  # 1, or less for generic English words
    length: int  # length of the best stem, for length-weighted name coverage


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
    title_key: str  # normalized title
    names: dict[str, float]  # normalized name -> weight of its kind
    weights: dict[str, float]  # stem -> BM25F pseudo term frequency
    vocab: set[str]  # folded tokens, for the spelling index


def _unlink(index: dict[_K, set[str]], key: _K, value: str) -> None:
    """Remove `value` from `index[key]`, dropping the key when its set becomes empty."""
    values = index.get(key)
    if values is not None:
        values.discard(value)
        if not values:
            del index[key]


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
        self._token_names: dict[str, set[str]] = {}  # folded token -> names containing it
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
        tokens = [_field_tokens(e) for e in entries]
        self._refresh_stats(tokens)
        for entry, fields in zip(entries, tokens, strict=True):
            self._insert(entry, fields)

    # ----------------------------------------------------------------- maintenance

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, slug: object) -> bool:
        return slug in self._docs

    def get(self, slug: str) -> Entry | None:
        """Return the entry with this slug, or None."""
        doc = self._docs.get(slug)
        return doc.entry if doc else None

    def _sorted_entry_list(self) -> list[Entry]:
        if self._sorted_entries is None:
            docs = sorted(self._docs.values(), key=lambda d: d.sort_key)
            self._sorted_entries = [d.entry for d in docs]
        return self._sorted_entries

    def entries(self, category: str | None = None) -> list[Entry]:
        """All entries (optionally of one category), sorted by title."""
        ordered = self._sorted_entry_list()
        if category is None:
            return list(ordered)
        return [e for e in ordered if e.category == category]

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

    def _insert(self, entry: Entry, fields: dict[str, list[str]] | None = None) -> None:
        if fields is None:
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
            title_key=normalize(entry.title),
            names=names,
            weights=weights,
            vocab=vocab,
        )
        slug = entry.slug
        self._docs[slug] = doc
        for name, weight in names.items():
            owners = self._name_docs.setdefault(name, {})
            if not owners:
                self._add_name(name)
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

    def _add_name(self, name: str) -> None:
        tokens = name.split()
        stems = frozenset(stem(t) for t in tokens)
        self._name_stems[name] = stems
        self._name_length[name] = max(sum(len(x) for x in stems), 1)
        self._stemset_names.setdefault(stems, set()).add(name)
        for s in stems:
            self._stem_names.setdefault(s, set()).add(name)
        for token in tokens:
            self._token_names.setdefault(token, set()).add(name)
        self._compact.setdefault(name.replace(" ", ""), set()).add(name)

    def _drop_name(self, name: str) -> None:
        stems = self._name_stems.pop(name, frozenset())
        self._name_length.pop(name, None)
        _unlink(self._stemset_names, stems, name)
        for s in stems:
            _unlink(self._stem_names, s, name)
        for token in name.split():
            _unlink(self._token_names, token, name)
        _unlink(self._compact, name.replace(" ", ""), name)

    def _delete(self, slug: str) -> None:
        doc = self._docs.pop(slug)
        for name in doc.names:
            owners = self._name_docs.get(name)
            if owners is None:
                continue
            owners.pop(slug, None)
            if not owners:
                del self._name_docs[name]
                self._drop_name(name)
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

    def _known(self, word: str) -> bool:
        s = stem(word)
        return word in self._vocab or s in self._postings or s in self._stem_names

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
                    # A one-letter slip in a short word is often another real word.
                    found[candidate] = 1.0 - distance * (0.12 if len(word) >= 6 else 0.2)
        if len(word) < _AMBIGUOUS_BELOW and len(found) > 1:
            return []  # "love" could be "live", "move" or "lose": don't guess
        ranked = sorted(found.items(), key=lambda kv: (-kv[1], -self._vocab[kv[0]], kv[0]))
        return ranked[:_MAX_CORRECTIONS]

    def _analyze(self, text: str) -> list[_Word]:
        """Split a query into content words with their stem variants (never raises)."""
        tokens = content_words(tokenize(clean(text, MAX_QUERY_CHARS)))[:MAX_QUERY_WORDS]
        # Two typed words that form a known word ("roll back", "data base") also match it.
        compounds: list[list[str]] = [[] for _ in tokens]
        for index in range(len(tokens) - 1):
            joined = tokens[index] + tokens[index + 1]
            if len(joined) >= 6 and joined in self._vocab:
                compounds[index].append(joined)
                compounds[index + 1].append(joined)
        words: list[_Word] = []
        for token, joined_forms in zip(tokens, compounds, strict=True):
            variants: dict[str, float] = {stem(j): 1.0 for j in joined_forms}
            if self._known(token):
                variants[stem(token)] = 1.0
            elif not variants:
                for candidate, confidence in self._corrections(token):
                    cs = stem(candidate)
                    variants[cs] = max(variants.get(cs, 0.0), confidence)
                if not variants:
                    variants[stem(token)] = 1.0  # unknown: matches nothing, counts as unexplained
            ordered = sorted(variants.items(), key=lambda kv: -kv[1])
            importance = _WEAK_IMPORTANCE if token in WEAK_WORDS else 1.0
            words.append(_Word(token, ordered, importance, max(len(ordered[0][0]), 1)))
        return words

    # ----------------------------------------------------------------- scoring

    def _idf(self, df: int) -> float:
        n = len(self._docs)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _word_weights(self, words: list[_Word]) -> list[float]:
        """Per query word: importance x idf of its best-known variant (unknown words: max idf)."""
        out: list[float] = []
        max_idf = self._idf(0)
        for word in words:
            dfs = [len(self._postings[s]) for s, _ in word.variants if s in self._postings]
            out.append(word.importance * (self._idf(min(dfs)) if dfs else max_idf))
        return out

    def _top_postings(self, s: str) -> list[str]:
        top = self._top.get(s)
        if top is None:
            postings = self._postings.get(s, {})
            top = sorted(postings, key=postings.__getitem__, reverse=True)[:_TOP_POSTINGS]
            self._top[s] = top
        return top

    def _text_scores(
        self, words: list[_Word], weights: list[float], extra: Iterable[str], min_score: float
    ) -> dict[str, tuple[float, int]]:
        """BM25F coverage in [0, `_TEXT_MAX`] per candidate, with a bit mask of the query
        words each candidate contains.

        Candidates are `extra` plus the postings of the query's *essential* words (MaxScore):
        a document that contains only the most common words cannot reach `min_score`, so their
        postings are never walked; they are only looked up for the candidates.
        """
        total_weight = sum(weights)
        if total_weight <= 0:
            return {}
        plan: list[list[tuple[dict[str, float], float, str]]] = []
        for word in words:
            terms: list[tuple[dict[str, float], float, str]] = []
            for s, confidence in word.variants:
                postings = self._postings.get(s)
                if postings:
                    idf = self._idf(len(postings))
                    terms.append((postings, word.importance * confidence * idf, s))
            plan.append(terms)
        need = min_score / _TEXT_MAX * total_weight
        skipped = 0.0
        candidates: set[str] = set(extra)
        for index in sorted(range(len(plan)), key=weights.__getitem__):
            if skipped + weights[index] < need:
                skipped += weights[index]
                continue
            for postings, _, s in plan[index]:
                if len(postings) <= _FULL_WALK:
                    candidates.update(postings)
                else:
                    candidates.update(self._top_postings(s))
        active = [(bit, terms) for bit, terms in enumerate(plan) if terms]
        if not candidates or not active:
            return {}
        scale = _TEXT_MAX / total_weight
        # Several query words occurring together are evidence on their own; one word is not.
        presence = min(_PRESENCE + _PRESENCE_PER_WORD * (len(active) - 1), _PRESENCE_MAX)
        rest = 1.0 - presence
        scores: dict[str, tuple[float, int]] = {}
        for slug in candidates:
            total = 0.0
            mask = 0
            for bit, terms in active:
                best = 0.0
                for postings, weighted_idf, _ in terms:
                    w = postings.get(slug)
                    if w:
                        value = weighted_idf * (presence + rest * w / (_K1 + w))
                        if value > best:
                            best = value
                if best:
                    total += best
                    mask |= 1 << bit
            if total > 0:
                scores[slug] = (total * scale, mask)
        return scores

    def _name_scores(self, words: list[_Word]) -> dict[str, tuple[float, float, int]]:
        """Best name score in [0, 100] per slug, with how much of the query that name explains:
        a share from whole-string similarity and a bit mask of the query words it contains.

        Candidates are the names sharing a stem with the query (or equal to it without spaces);
        only the few that can score well are examined in Python.
        """
        query = " ".join(w.text for w in words)
        if not query:
            return {}
        per_word: list[set[str]] = []
        for word in words:
            sets = [self._stem_names[s] for s, _ in word.variants if s in self._stem_names]
            per_word.append(set().union(*sets))
        exact = self._compact.get(query.replace(" ", ""), set())
        # Whole-string similarity catches typos; word order is handled by containment below.
        # A similar name shares a word with the query: search the names of the rarest words.
        pool: set[str] = set(exact)
        for names in sorted(per_word, key=len):
            if pool and len(pool) + len(names) > _FUZZY_POOL:
                break
            pool |= names
        if not pool:
            return {}
        selected: dict[str, float] = {}
        for name, score, _ in process.extract(
            query, list(pool), scorer=fuzz.ratio, score_cutoff=_NAME_CUTOFF, limit=_NAME_SHORTLIST
        ):
            selected[name] = score
        for name in exact:
            selected[name] = max(selected.get(name, 0.0), 99.0)
        if all(per_word):
            # Names that contain every query word: the shortest ones cover the query best.
            inside = set.intersection(*per_word)
            for name in heapq.nsmallest(_NAME_SHORTLIST, inside, key=self._name_length.get):
                selected.setdefault(name, 0.0)
        # Names whose every word is in the query: look up small subsets of the query's stems.
        known = sorted({s for w in words for s, _ in w.variants} & self._stem_names.keys())
        largest = min(len(known), _SUBSET_MAX if len(known) <= 8 else _SUBSET_MAX - 1)
        for size in range(1, largest + 1):
            for subset in combinations(known, size):
                for name in self._stemset_names.get(frozenset(subset), ()):
                    selected.setdefault(name, 0.0)

        lengths = [w.length * w.importance for w in words]
        query_length = sum(lengths) or 1.0
        scores: dict[str, tuple[float, float, int]] = {}
        for name, fuzzy in selected.items():
            stems = self._name_stems[name]
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
                cover = min(matched_length / self._name_length[name], 1.0)
                score = max(score, 55.0 + 40.0 * cover)
            for slug, weight in self._name_docs[name].items():
                value = score * weight
                if value > scores.get(slug, (0.0, 0.0, 0))[0]:
                    scores[slug] = (value, similar, mask)
        return scores

    def _scored(self, text: str, min_score: float = 0.0) -> list[tuple[float, str]]:
        """(raw score, slug) pairs at or above `min_score`, best first (ties by title).

        Raw scores can exceed 100 when names and text agree; `Hit.score` is clamped.
        """
        if not self._docs:
            return []
        words = self._analyze(text)
        if not words:
            return []
        weights = self._word_weights(words)
        total_weight = sum(weights) or 1.0
        # A query of common or generic words is vague: only a name that equals it is confident.
        specific = 1.0
        if len(self._docs) >= _MIN_STATS_DOCS:  # document frequencies mean little below that
            specific = min(total_weight / self._idf(_SPECIFIC_SHARE * len(self._docs)), 1.0)
        vague = _VAGUE_FLOOR + (1.0 - _VAGUE_FLOOR) * specific
        name_scores = self._name_scores(words)
        # An entry below `floor` on both signals cannot reach `min_score` (see `_AGREEMENT`).
        floor = min_score / (1.0 + _AGREEMENT)
        extra = [slug for slug, (n, _, _) in name_scores.items() if n >= floor]
        text_scores = self._text_scores(words, weights, extra, floor)
        contained_by_mask: dict[int, float] = {}
        combined: list[tuple[float, str]] = []
        for slug in name_scores.keys() | text_scores.keys():
            n, similar, name_mask = name_scores.get(slug, (0.0, 0.0, 0))
            t, text_mask = text_scores.get(slug, (0.0, 0))
            high, low = (n, t) if n >= t else (t, n)
            if high < floor:
                continue
            score = high + _AGREEMENT * low
            # Penalize query words that neither the names nor the text of the entry contain.
            mask = name_mask | text_mask
            contained = contained_by_mask.get(mask)
            if contained is None:
                contained = sum(w for bit, w in enumerate(weights) if mask >> bit & 1)
                contained_by_mask[mask] = contained
            explained = min(max(similar, contained / total_weight), 1.0)
            score *= 1.0 - _UNEXPLAINED_PENALTY * (1.0 - explained)
            if similar < _SAME_NAME:
                score *= vague
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
            self._sorted_tokens = sorted(self._token_names)
        return self._sorted_tokens

    def autocomplete(self, text: str, limit: int = 25) -> tuple[Hit, ...]:
        """Entries for partially typed text, prefix-friendly; empty text lists the first titles.

        Never raises. Ranking: names starting with the text, then names in which every typed
        word starts a word (any order), then fuzzy matches (typos) from `search`.
        """
        if not isinstance(text, str) or limit <= 0:
            return ()
        typed = normalize(clean(text, MAX_QUERY_CHARS))
        if not typed:
            return tuple(self._hit(e.slug, 0) for e in self._sorted_entry_list()[:limit])
        found: dict[str, float] = {}
        budget = _COMPLETION_BUDGET * limit

        def offer(name: str, base: float, span: float) -> None:
            closeness = min(len(typed) / len(name), 1.0)
            for slug, weight in self._name_docs[name].items():
                if name != self._docs[slug].title_key:
                    weight *= _OTHER_NAME_COMPLETION  # titles first
                score = (base + span * closeness) * weight
                if score > found.get(slug, -1.0):
                    found[slug] = score

        # 1. Names starting with the text; sorted order puts shorter names first.
        names = self._sorted_name_list()
        start = bisect_left(names, typed)
        for name in names[start : start + budget]:
            if not name.startswith(typed):
                break
            offer(name, 90.0, 10.0)

        # 2. Every typed word starts a word of the name, in any order.
        if len(found) < limit:
            *complete, partial = typed.split()
            needed = [stem(w) for w in complete if w not in STOP_WORDS]
            pool: set[str] | list[str]
            if needed:
                sets = [self._stem_names.get(s, set()) for s in needed]
                pool = heapq.nsmallest(budget, set.intersection(*sets), key=len)
            else:
                tokens = self._sorted_token_list()
                start = bisect_left(tokens, partial)
                pool = set()
                for token in tokens[start : start + budget]:
                    if not token.startswith(partial) or len(pool) >= budget:
                        break
                    pool |= self._token_names[token]
            for name in pool:
                if any(t.startswith(partial) for t in name.split()):
                    offer(name, 70.0, 15.0)

        # 3. Typos: fall back to fuzzy search.
        if len(found) < limit and len(typed) >= 3:
            for score, slug in self._scored(typed, SUGGEST_SCORE)[: limit * 2]:
                if slug not in found:
                    found[slug] = min(score, 69.0)

        ranked = sorted(found.items(), key=lambda kv: (-kv[1], self._docs[kv[0]].sort_key))
        return tuple(self._hit(slug, score) for slug, score in ranked[:limit])
