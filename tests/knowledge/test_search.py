"""Ranking behaviour of SearchIndex on a small hand-made set of entries."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.knowledge.entry import Entry
from bot.knowledge.files import load_directory
from bot.knowledge.search import (
    RERANK_POOL,
    SUGGEST_SCORE,
    Hit,
    SearchIndex,
    SearchResult,
    _distinct,
    answer_or_suggestions,
)
from bot.knowledge.vocabulary import load_vocabulary
from tests.helpers import make_entry


def entry(slug: str, title: str, category: str = "concept", **fields: Any) -> Entry:
    """An entry (summary "About <title>." unless given; body empty unless given)."""
    fields.setdefault("body", "")
    if not fields.get("summary"):
        fields["summary"] = f"About {title}."
    return make_entry(slug, title, category, **fields)


ENTRIES = [
    entry(
        "docker",
        "Docker",
        "technology",
        aliases=("containers", "dockerfile"),
        tags=("devops", "containers"),
        summary="Docker packages an application and its dependencies into a container image.",
        body="Write a Dockerfile, build an image, run containers locally and in production.",
    ),
    entry(
        "docker-compose",
        "Docker Compose",
        "tool",
        aliases=("compose", "docker-compose.yml"),
        tags=("devops", "containers"),
        summary="Docker Compose runs several containers (web, database, broker) together.",
        body="Define services in docker-compose.yml and start them with one command.",
    ),
    entry(
        "kubernetes",
        "Kubernetes",
        "technology",
        aliases=("k8s", "kube"),
        tags=("devops", "orchestration"),
        summary="Kubernetes orchestrates containers across a cluster of machines.",
        body="Pods, deployments and services; horizontal scaling of stateless workloads.",
    ),
    entry(
        "n-plus-one-queries",
        "N+1 query problem",
        aliases=("n+1", "n plus one", "n+1 queries"),
        tags=("django", "orm", "performance"),
        summary="One query for a list plus one more query for each item's related data.",
        body="Fix it with select_related() and prefetch_related(); find it with the debug toolbar.",
    ),
    entry(
        "celery-beat",
        "Celery Beat",
        "tool",
        aliases=("beat", "periodic tasks"),
        tags=("celery", "scheduling"),
        summary="Celery Beat is a scheduler that sends periodic tasks to Celery workers.",
        body="Use it for nightly reports, cleanups and reminders that run on a schedule.",
    ),
    entry(
        "celery",
        "Celery",
        "technology",
        aliases=("celery workers",),
        tags=("python", "background-jobs"),
        summary="Celery runs background tasks outside the request cycle using a message broker.",
        body="Workers consume tasks from RabbitMQ or Redis; results go to a backend.",
    ),
    entry(
        "database-indexing",
        "Database indexing",
        aliases=("db index", "indexes"),
        tags=("database", "performance"),
        summary="An index lets the database find rows without scanning the whole table.",
        body="Index the columns you filter and sort by; composite indexes follow column order.",
    ),
    entry(
        "ci-cd",
        "CI/CD pipelines",
        "practice",
        aliases=("continuous integration", "github actions"),
        tags=("devops", "automation"),
        summary="Continuous integration runs tests on every push; delivery deploys automatically.",
        body="A pipeline lints, tests, builds the image and deploys when the main branch is green.",
    ),
    entry(
        "cafe-api",
        "Café ordering API",
        "resource",
        aliases=("coffee api",),
        tags=("example",),
        summary="A worked example of a small ordering API with accents in its name.",
        body="Orders, menus and payments.",
    ),
    entry(
        "cpp-extensions",
        "C++ extensions",
        "concept",
        aliases=("c++",),
        tags=("python",),
        summary="Writing Python extension modules in C++.",
        body="Bind C++ code to Python for speed.",
    ),
]


@pytest.fixture
def index() -> SearchIndex:
    return SearchIndex(ENTRIES)


def top(result: SearchResult) -> str | None:
    return result.hits[0].slug if result.hits else None


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("Docker", "docker"),
        ("docker compose", "docker-compose"),
        ("compose docker", "docker-compose"),  # word order
        ("dokcer", "docker"),  # transposition typo
        ("kubernets", "kubernetes"),  # deletion typo
        ("kuberentes", "kubernetes"),
        ("k8s", "kubernetes"),  # alias abbreviation
        ("K8S!!", "kubernetes"),
        ("n+1", "n-plus-one-queries"),
        ("N+1 QUERIES", "n-plus-one-queries"),
        ("how do I fix n+1 queries", "n-plus-one-queries"),  # question
        ("what is celery beat used for", "celery-beat"),
        ("celery", "celery"),
        ("database indexes", "database-indexing"),  # plural / stemming
        ("indexing databases", "database-indexing"),
        ("ci/cd", "ci-cd"),
        ("ci cd", "ci-cd"),
        ("cicd", "ci-cd"),
        ("cafe ordering api", "cafe-api"),  # accents folded
        ("CAFÉ", "cafe-api"),
        ("c++", "cpp-extensions"),
        ("periodic tasks", "celery-beat"),
        ("docker-compose", "docker-compose"),
    ],
)
def test_top_hit(index: SearchIndex, query: str, slug: str) -> None:
    result = index.search(query)
    assert top(result) == slug, (query, result)


def test_hits_are_sorted_and_scored(index: SearchIndex) -> None:
    result = index.search("docker")
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= h.score <= 100 for h in result.hits + result.suggestions)
    assert result.hits[0] == Hit("docker", "Docker", "technology", 100)
    assert not {h.slug for h in result.hits} & {h.slug for h in result.suggestions}


def test_limit(index: SearchIndex) -> None:
    assert len(index.search("devops containers", limit=1).hits) <= 1
    assert index.search("docker", limit=0) == SearchResult()


@pytest.mark.parametrize(
    "query",
    ["banana spaceship", "qwxzv plork", "what is the capital of peru", "asdf", "the", "how do i"],
)
def test_nonsense_is_empty(index: SearchIndex, query: str) -> None:
    result = index.search(query)
    assert result.hits == () and result.suggestions == (), result
    assert not result


def test_text_only_match(index: SearchIndex) -> None:
    result = index.search("message broker background tasks")
    assert top(result) == "celery"


def test_compound_words_match_joined_forms(index: SearchIndex) -> None:
    # "docker file" is typed as two words; the alias is the single word "dockerfile".
    assert top(index.search("docker file")) == "docker"


def test_spelling_correction_needs_a_close_known_word(index: SearchIndex) -> None:
    assert top(index.search("celry")) == "celery"
    assert index.search("zzzzzz") == SearchResult()


def test_generic_words_do_not_dominate(index: SearchIndex) -> None:
    # "problem" and "fix" are generic; the topical word decides.
    result = index.search("problem with kubernetes fix")
    assert (result.hits + result.suggestions)[0].slug == "kubernetes"


def test_pruned_ranking_equals_exhaustive_ranking(index: SearchIndex) -> None:
    for query in [*(e.title for e in ENTRIES), "devops containers", "background message broker"]:
        exhaustive = [pair for pair in index._scored(query) if pair[0] >= SUGGEST_SCORE]
        assert index._scored(query, SUGGEST_SCORE) == exhaustive, query


def test_partial_match_is_not_confident(index: SearchIndex) -> None:
    # One real word and one unknown word: never a confident hit on the known word's body.
    result = index.search("orchestrates bananas")
    assert result.hits == ()


HOSTILE = [
    "",
    "   \t\n  ",
    "x" * 6000,
    "docker " * 1000,
    "🐳🐳🐳",
    "🐳 docker",
    "مرحبا بالعالم",
    "שלום docker",
    "\u200bdo\u200bcker\u200d",
    "\u202edocker\u202c",
    "**docker** `compose` [link](http://x.y) > quote",
    "<@123456789012345678> docker",
    "<#123> <@&456> <:blob:789> <a:dance:1> <t:1700000000:R>",
    "\x00\x01\x02docker\x7f",
    "\ud800",
    "%s %d {0} {} \\n \\x00 ' \" ; DROP TABLE entries; --",
    "+++ ### ---",
    "n" + "+" * 500,
    "a",
    "ß",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_input_never_raises(index: SearchIndex, query: str) -> None:
    result = index.search(query)
    assert isinstance(result, SearchResult)
    completions = index.autocomplete(query)
    assert isinstance(completions, tuple)
    assert len(completions) <= 25


def test_invisible_characters_and_markup_are_ignored(index: SearchIndex) -> None:
    assert top(index.search("\u200bdo\u200bcker\u200d")) == "docker"
    assert top(index.search("<@123456789012345678> kubernetes?")) == "kubernetes"
    assert top(index.search("**Docker** `compose`")) == "docker-compose"
    assert top(index.search("\x00docker\x7f")) == "docker"


def test_empty_query_is_empty(index: SearchIndex) -> None:
    assert index.search("") == SearchResult()
    assert index.search("   ") == SearchResult()


def test_empty_index_answers_nothing() -> None:
    index = SearchIndex()
    assert index.search("docker") == SearchResult()
    assert index.autocomplete("") == ()
    assert len(index) == 0


def test_misspellings_are_searched_and_questions_answer() -> None:
    rabbit = entry(
        "rabbitmq",
        "RabbitMQ",
        "technology",
        aliases=("amqp",),
        summary="A message broker.",
    )
    rabbit = dataclasses.replace(
        rabbit, misspellings=("rabit mq",), questions=("where do my queued messages wait",)
    )
    index = SearchIndex([*ENTRIES, rabbit])
    assert top(index.search("rabit mq")) == "rabbitmq"
    assert top(index.search("where do queued messages wait")) == "rabbitmq"
    assert index.autocomplete("rabi")[0].slug == "rabbitmq"


def test_tiny_index_still_matches_typos() -> None:
    index = SearchIndex([ENTRIES[0]])
    assert top(index.search("dokcer")) == "docker"
    assert index.search("banana") == SearchResult()


def test_shared_alias_finds_every_owner(index: SearchIndex) -> None:
    other = entry("podman", "Podman", "tool", aliases=("containers",))
    both = SearchIndex([*ENTRIES, other])
    found = {
        h.slug for h in (*both.search("containers").hits, *both.search("containers").suggestions)
    }
    assert {"docker", "podman"} <= found


def test_entries_sorted_by_title(index: SearchIndex) -> None:
    titles = [e.title for e in index.entries()]
    assert titles == sorted(titles, key=str.casefold)
    assert {e.slug for e in index.entries("tool")} == {"docker-compose", "celery-beat"}
    assert index.entries("program") == []


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("dock", "docker"),
        ("Docker C", "docker-compose"),
        ("kub", "kubernetes"),
        ("n+", "n-plus-one-queries"),
        ("n+1", "n-plus-one-queries"),
        ("beat", "celery-beat"),
        ("k8", "kubernetes"),
        ("caf", "cafe-api"),
        ("indexing", "database-indexing"),
        ("kubernets", "kubernetes"),  # typo falls back to fuzzy matching
    ],
)
def test_autocomplete_prefix(index: SearchIndex, typed: str, slug: str) -> None:
    hits = index.autocomplete(typed)
    assert hits, typed
    assert hits[0].slug == slug, (typed, hits)


def test_autocomplete_prefix_ranks_shorter_name_first(index: SearchIndex) -> None:
    slugs = [h.slug for h in index.autocomplete("docker")]
    assert slugs[:2] == ["docker", "docker-compose"]


def test_autocomplete_empty_lists_titles(index: SearchIndex) -> None:
    hits = index.autocomplete("")
    assert [h.title for h in hits] == [e.title for e in index.entries()]
    assert len(index.autocomplete("", limit=3)) == 3


def test_autocomplete_unique_entries_and_limit(index: SearchIndex) -> None:
    hits = index.autocomplete("d", limit=25)
    assert len({h.slug for h in hits}) == len(hits)
    assert len(index.autocomplete("c", limit=2)) == 2


def test_a_question_matched_word_for_word_outranks_scattered_words() -> None:
    """The entry whose own learner question matches wins over one that has the words spread
    across its text; one shared word with a question is not enough."""
    scattered = entry(
        "deploys",
        "Deployments",
        summary="Staging servers, production servers and users.",
        body="Two users of staging saw the same booking screen at the same time of the deploy.",
    )
    locking = dataclasses.replace(
        entry("locking", "Row locking", summary="Lock rows while you change them."),
        questions=("two users booked the same room at the same time",),
    )
    index = SearchIndex([*ENTRIES, scattered, locking])
    assert top(index.search("two users booked the same room at once")) == "locking"
    words = index._analyze("users of the world")
    assert index._phrasing_scores(words)[index._ids["locking"]] == 0.0


def test_confident_alternatives_are_judged_by_raw_scores_above_100() -> None:
    hit = Hit("a", "A", "concept", 100)
    shown = [(130.0, hit), (115.0, hit), (100.0, hit), (60.0, hit)]
    result = answer_or_suggestions(shown, 130.0, hit_score=65, margin=22)
    assert len(result.hits) == 2 and len(result.suggestions) == 2  # 115 is within 22 of 130
    assert not answer_or_suggestions(shown[1:], 60.0, 65, 22).hits  # best below 65: suggestions


@pytest.fixture(scope="module")
def content_index() -> SearchIndex:
    entries, _ = load_directory(Path(__file__).resolve().parents[2] / "content")
    vocabulary, _ = load_vocabulary(Path(__file__).resolve().parents[2] / "content")
    return SearchIndex(entries, vocabulary)


@pytest.mark.parametrize(
    "question",
    [
        "protect my app against sql injection",
        "page is slow because it runs hundreds of queries",
        "run postgres and my app together locally",
    ],
)
def test_a_typed_question_autocompletes_to_learns_answers_in_order(
    content_index: SearchIndex, question: str
) -> None:
    answers = content_index.search(question).ranked
    shown = [hit.slug for hit in answers if hit.score >= SUGGEST_SCORE]
    assert len(shown) >= 2
    completions = [hit.slug for hit in content_index.autocomplete(question)]
    assert completions[: len(shown)] == shown


def test_rerank_sums_each_rankings_share_of_its_best(content_index: SearchIndex) -> None:
    question = "protect my app against sql injection"
    ranking = content_index.scores(question, top=RERANK_POOL)
    order = content_index.rerank(question, ranking)
    assert sorted(order) == list(range(len(ranking)))
    shown = [hit.slug for hit in content_index.search(question, limit=10).ranked]
    assert [ranking[i][0] for i in order[:10]] == shown  # what `search` shows, in its order
    assert content_index.rerank(question, []) == []
    # No scale to share (no positive score): the ranking stays as it came.
    assert content_index.rerank(question, [("docker", 0.0), ("sql-injection", 0.0)]) == [0, 1]
    # An unknown slug has no plain BM25 score; the others are still ordered.
    assert content_index.rerank(question, [("no-such-entry", 50.0), ("sql-injection", 50.0)]) == [
        1,
        0,
    ]
    # Nothing of the question in any text: the ranking's own scores decide.
    assert content_index.rerank("zzzz", [("docker", 10.0), ("sql-injection", 40.0)]) == [1, 0]


def test_distinct_matches_numpy_unique() -> None:
    rng = np.random.default_rng(3)
    for size in (0, 1, 2, 50, 5000):
        items = rng.integers(0, 40, size).astype(np.int32)
        assert np.array_equal(_distinct(items), np.unique(items))
