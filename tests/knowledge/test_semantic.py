"""The optional semantic signal (`bot/knowledge/semantic.py`) with a model the tests build.

`ConceptModel` embeds a text as the concepts its words belong to: a stand-in for a sentence
model that knows "hammering" and "throttle" mean the same thing although they share no letter.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.db import Database
from bot.knowledge.entry import Entry
from bot.knowledge.search import SearchIndex, SearchResult
from bot.knowledge.semantic import FusedSearch, SemanticIndex, entry_texts, load_embedder
from bot.knowledge.service import KnowledgeService
from tests.helpers import make_entry, write_entry

WORD_BUCKETS = 4096
CONCEPTS = (
    {"throttle", "throttling", "rate", "limiting", "hammering", "flooding", "spamming"},
    {"cache", "caching", "memoize", "remember", "recompute"},
    {"container", "containers", "docker", "image", "ship"},
)


class ConceptModel:
    """A sentence "model" the tests build: one dimension per concept of `CONCEPTS`, and hashed
    words (weaker) for the rest, so unrelated texts are unlike each other."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        rows = np.zeros((len(texts), len(CONCEPTS) + WORD_BUCKETS), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            words = set(text.lower().replace(":", " ").replace(".", " ").split())
            for dimension, concept in enumerate(CONCEPTS):
                row[dimension] = len(words & concept)
            for word in words:
                row[len(CONCEPTS) + zlib.crc32(word.encode()) % WORD_BUCKETS] += 0.3
            row /= np.linalg.norm(row) or 1.0
        return rows


class BrokenModel(ConceptModel):
    def __init__(self) -> None:
        super().__init__()
        self.broken = False

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.broken:
            raise RuntimeError("model crashed")
        return super().encode(texts)


def entry(slug: str, title: str, summary: str, questions: tuple[str, ...] = ()) -> Entry:
    return make_entry(
        slug, title, summary=summary, sources=(), questions=questions, body=f"{title} explained."
    )


ENTRIES = [
    entry("rate-limiting", "Rate limiting", "Throttle clients that send too many requests."),
    entry("caching", "Caching", "Keep computed results to serve them again."),
    entry("docker", "Docker", "Package an application and its dependencies as an image."),
]
NO_SHARED_WORD = "bots keep hammering and flooding my endpoint"


def fused(model: ConceptModel | None = None) -> FusedSearch:
    return FusedSearch(SearchIndex(ENTRIES), SemanticIndex(model or ConceptModel(), ENTRIES))


def test_a_question_sharing_no_word_with_the_entry_finds_it() -> None:
    assert not SearchIndex(ENTRIES).search(NO_SHARED_WORD)  # the lexical engine alone: nothing
    result = fused().search(NO_SHARED_WORD)
    assert [hit.slug for hit in result.hits] == ["rate-limiting"]


@pytest.mark.parametrize("query", ["banana spaceship", "", "   ", "<@123> https://x.y", "🚀"])
def test_nonsense_still_finds_nothing(query: str) -> None:
    assert not fused().search(query)


def test_names_still_win_as_in_the_lexical_engine() -> None:
    assert fused().search("docker").hits[0].slug == "docker"
    assert fused().search("cachng").ranked[0].slug == "caching"  # a typo, lexical evidence


def test_autocomplete_offers_a_questions_answer_first() -> None:
    hits = fused().autocomplete(NO_SHARED_WORD)
    assert hits[0].slug == "rate-limiting"
    assert fused().autocomplete("Dock")[0].slug == "docker"  # short text: name completion


def test_a_rebuild_embeds_only_new_texts() -> None:
    model = ConceptModel()
    first = SemanticIndex(model, ENTRIES)
    assert len(model.encoded) == len({t for e in ENTRIES for t in entry_texts(e)})
    model.encoded.clear()
    edited = entry("caching", "Caching", "Remember results.", questions=("recompute less",))
    second = SemanticIndex(model, [ENTRIES[0], edited, ENTRIES[2]], previous=first)
    assert sorted(model.encoded) == sorted(["Caching: Remember results.", "recompute less"])
    assert second.slugs == ("rate-limiting", "caching", "docker")


SHIP_QUESTION = "when does the container ship leave the port"
SHIP_EXAMPLE = "how much cargo does a container ship carry"


def test_a_question_closer_to_an_off_topic_example_than_to_any_entry_finds_nothing() -> None:
    model = ConceptModel()
    assert fused(model).search(SHIP_QUESTION).ranked[0].slug == "docker"  # no examples
    search = FusedSearch(SearchIndex(ENTRIES), SemanticIndex(model, ENTRIES, None, [SHIP_EXAMPLE]))
    assert not search.search(SHIP_QUESTION)
    assert not search.autocomplete(SHIP_QUESTION)  # a typed question: nothing either
    # Questions nearer an entry than the example are answered as before.
    assert search.search("docker image").hits[0].slug == "docker"
    assert search.search(NO_SHARED_WORD).hits[0].slug == "rate-limiting"


def test_the_margin_is_wider_for_a_question_whose_words_support_no_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Margins pushed to the extremes show which one applies: with words the lexical search
    can show, the narrow one; with none, the wide one."""
    monkeypatch.setattr("bot.knowledge.semantic.OFF_TOPIC_MARGIN", -2.0)  # never wins
    monkeypatch.setattr("bot.knowledge.semantic.OFF_TOPIC_MARGIN_NO_WORDS", 2.0)  # always wins
    search = FusedSearch(
        SearchIndex(ENTRIES), SemanticIndex(ConceptModel(), ENTRIES, None, [SHIP_EXAMPLE])
    )
    assert SearchIndex(ENTRIES).search("docker image")  # words the lexical search shows
    assert search.search("docker image").hits[0].slug == "docker"
    assert not SearchIndex(ENTRIES).search(NO_SHARED_WORD)  # no such words
    assert not search.search(NO_SHARED_WORD)


def test_a_rebuild_embeds_off_topic_examples_once() -> None:
    model = ConceptModel()
    first = SemanticIndex(model, ENTRIES, None, [SHIP_EXAMPLE])
    assert SHIP_EXAMPLE in model.encoded
    model.encoded.clear()
    second = SemanticIndex(model, ENTRIES, first, [SHIP_EXAMPLE, "nice weather today"])
    assert model.encoded == ["nice weather today"]
    assert second.similarity("nice weather today")[1] > 0.99
    assert SemanticIndex(model, ENTRIES).similarity("nice weather today")[1] == -1.0


def test_a_failing_model_falls_back_to_the_lexical_search(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = BrokenModel()
    search = fused(model)
    model.broken = True
    with caplog.at_level(logging.WARNING):
        result = search.search("docker image")
    assert result.hits[0].slug == "docker"
    assert "semantic search failed" in caplog.text


def test_an_unloadable_model_means_lexical_search(caplog: pytest.LogCaptureFixture) -> None:
    assert load_embedder(None) is None and load_embedder("") is None
    with caplog.at_level(logging.WARNING):
        assert load_embedder("/nonexistent/model") is None
    assert "lexical search only" in caplog.text


@pytest.fixture
def loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The test entries in `tmp_path / "content"`, and a model that loads once this is set."""
    for item in ENTRIES:
        write_entry(tmp_path / "content", item)
    loaded = threading.Event()

    def slow_load(name: str) -> ConceptModel:
        loaded.wait(10)
        return ConceptModel()

    monkeypatch.setattr("bot.knowledge.service.load_embedder", slow_load)
    return loaded


async def test_the_service_answers_lexically_while_the_model_loads(
    tmp_path: Path, database: Database, loading: threading.Event
) -> None:
    """Start-up does not wait for the model: lexical search answers until it is ready, and
    `stop` cancels a start still under way."""
    root = tmp_path / "content"
    service = KnowledgeService(database, root, semantic_model="concepts")
    await asyncio.wait_for(service.start(), 5)
    assert service.search("docker image").hits[0].slug == "docker"
    assert not service.search(NO_SHARED_WORD)  # the model is not in yet
    loading.set()
    assert await asyncio.wait_for(service.semantic_ready(), 10)
    assert service.search(NO_SHARED_WORD).hits[0].slug == "rate-limiting"

    loading.clear()
    other = KnowledgeService(database, root, semantic_model="concepts")
    await other.start()
    loading.set()  # let the worker thread end; the task itself was cancelled
    await asyncio.wait_for(other.stop(), 5)
    assert not await other.semantic_ready()


async def test_a_failed_semantic_start_leaves_lexical_search_and_retries_at_the_next_rebuild(
    tmp_path: Path,
    database: Database,
    loading: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = tmp_path / "content"
    service = KnowledgeService(database, root, semantic_model="concepts")
    await service.start()

    async def unreachable(session: object) -> list[Entry]:
        raise OSError("database unreachable")

    monkeypatch.setattr("bot.knowledge.service.live_entries", unreachable)
    loading.set()
    with caplog.at_level(logging.WARNING):
        assert not await service.semantic_ready()
    assert "semantic index not built yet" in caplog.text
    assert service.search("docker image").hits[0].slug == "docker"  # lexical still answers

    monkeypatch.undo()  # the database answers again
    await service.catch_up()  # the watcher's next look brings the model in, with no edit
    assert await service.semantic_ready()
    assert service.search(NO_SHARED_WORD).hits[0].slug == "rate-limiting"


async def test_the_service_fuses_when_a_model_is_configured(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "content"
    for item in ENTRIES:
        write_entry(root, item)
    model = ConceptModel()
    monkeypatch.setattr("bot.knowledge.service.load_embedder", lambda name: model)
    service = KnowledgeService(database, root, semantic_model="concepts")
    await service.start()
    assert await service.semantic_ready()
    assert service.search(NO_SHARED_WORD).hits[0].slug == "rate-limiting"
    assert not service.search("banana spaceship")

    model.encoded.clear()
    write_entry(root, entry("caching", "Caching", "Remember results."))
    await service.reload()  # a changed file: only its new texts are embedded
    assert model.encoded == ["Caching: Remember results."]

    (root / "off_topic.yaml").write_text(f'- "{SHIP_EXAMPLE}"\n', encoding="utf-8")
    assert service.search(SHIP_QUESTION)
    await service.refresh()  # the examples are read with every rebuild
    assert not service.search(SHIP_QUESTION)

    lexical = KnowledgeService(database, root)  # no model configured
    await lexical.start()
    assert not lexical.search(NO_SHARED_WORD)


def test_autocomplete_of_a_question_searches_it_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lexical completions of a typed question leave its answers to the fused search,
    which orders them itself: the lexical search of the question is not run only to be
    thrown away."""
    search = fused()
    lexical_searches: list[str] = []
    original = search.lexical.search

    def counted(query: str, limit: int = 5) -> SearchResult:
        lexical_searches.append(query)
        return original(query, limit)

    monkeypatch.setattr(search.lexical, "search", counted)
    assert search.autocomplete(NO_SHARED_WORD)[0].slug == "rate-limiting"
    assert lexical_searches == []
    question = "hammering requests rate limiting"
    assert search.lexical.autocomplete(question)[0].slug == "rate-limiting"
    assert lexical_searches == [question]  # the lexical engine alone answers it itself
