"""The concept vocabulary file and how the search uses it (groups and out-of-scope phrases)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.knowledge.search import SearchIndex
from bot.knowledge.vocabulary import Vocabulary, check_vocabulary, load_vocabulary
from tests.knowledge.test_search import ENTRIES, entry


def test_valid_document_has_no_problems() -> None:
    data = {"groups": [["slow", "latency"]], "out_of_scope": [["android", "ios"], ["tailwind"]]}
    assert check_vocabulary(data) == []


def test_malformed_documents_are_reported() -> None:
    assert check_vocabulary([["slow", "latency"]]) != []  # the old bare list of groups
    assert check_vocabulary({"groups": [["slow"]]}) == ["group 1 needs at least two members"]
    assert check_vocabulary({"out_of_scope": ["android"]}) != []  # one list per field
    assert check_vocabulary({"unknown": []}) != []
    problems = check_vocabulary({"groups": [["cache", "memo"]], "out_of_scope": [["cache"]]})
    assert problems == ["out_of_scope: 'cache' is also in group 1"]
    assert check_vocabulary({"out_of_scope": [["the"]]}) == [
        "out_of_scope: 'the' has no searchable word"
    ]


def test_broken_file_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "vocabulary.yaml").write_text("groups: [[redis]]\n", encoding="utf-8")
    vocabulary, problems = load_vocabulary(tmp_path)
    assert len(vocabulary) == 0 and problems == ["group 1 needs at least two members"]


def test_the_real_vocabulary_is_valid() -> None:
    vocabulary, problems = load_vocabulary(Path(__file__).resolve().parents[2] / "content")
    assert problems == [] and len(vocabulary) > 100 and vocabulary.out_of_scope


def test_out_of_scope_question_finds_nothing_but_a_named_entry_is_found() -> None:
    caching = entry(
        "caching",
        "Caching",
        summary="Keep computed results so the next request is fast.",
        body="Cache images, pages and query results in Redis; set a timeout on every key.",
    )
    vocabulary = Vocabulary(out_of_scope=["flutter", "android"])
    question = "how do i cache images in my flutter app"
    assert SearchIndex([*ENTRIES, caching]).search(question).ranked[0].slug == "caching"
    assert not SearchIndex([*ENTRIES, caching], vocabulary).search(question)
    flutter = dataclasses.replace(
        entry("flutter", "Flutter", summary="A mobile framework."), questions=()
    )
    index = SearchIndex([*ENTRIES, caching, flutter], vocabulary)
    assert index.search("flutter").hits[0].slug == "flutter"  # an entry's name stays findable
