"""Relevance of SearchIndex on the real content, against tests/knowledge/relevance/*.yaml.

Each YAML file is a list of `{query, expect}` items: `expect` is a list of acceptable slugs
(any of them in the top 3 confident hits counts), and `expect: []` marks a nonsense query that
must return no hits at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.knowledge.files import load_directory
from bot.knowledge.search import SUGGEST_SCORE, SearchIndex

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
RELEVANCE = Path(__file__).resolve().parent / "relevance"
MIN_QUERIES = 60
MIN_HIT_RATE = 0.90
TOP_K = 3


@dataclass(frozen=True)
class Case:
    """One relevance query."""

    file: str
    query: str
    expect: tuple[str, ...]


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted((RELEVANCE / "names").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for item in data:
            expect = item.get("expect") or []
            if isinstance(expect, str):
                expect = [expect]
            cases.append(Case(path.name, str(item["query"]), tuple(str(s) for s in expect)))
    return cases


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    entries, _ = load_directory(CONTENT)
    return SearchIndex(entries)


def describe(index: SearchIndex, case: Case) -> str:
    result = index.search(case.query)
    hits = ", ".join(f"{h.slug}({h.score})" for h in result.hits) or "-"
    suggestions = ", ".join(f"{h.slug}({h.score})" for h in result.suggestions) or "-"
    return (
        f"  [{case.file}] {case.query!r} expect {list(case.expect)}\n"
        f"      hits: {hits}\n      suggestions: {suggestions}"
    )


def test_relevance_files_exist_and_are_large_enough() -> None:
    cases = load_cases()
    assert len(cases) >= MIN_QUERIES, f"only {len(cases)} relevance queries"
    assert any(not c.expect for c in cases), "no nonsense queries"


def test_expected_slugs_exist(index: SearchIndex) -> None:
    unknown = [(c.query, s) for c in load_cases() for s in c.expect if index.get(s) is None]
    assert unknown == [], unknown


def test_top3_hit_rate(index: SearchIndex) -> None:
    cases = [c for c in load_cases() if c.expect]
    assert cases
    misses = []
    for case in cases:
        top = [h.slug for h in index.search(case.query).hits[:TOP_K]]
        if not set(top) & set(case.expect):
            misses.append(case)
    rate = 1 - len(misses) / len(cases)
    report = "\n".join(describe(index, c) for c in misses)
    print(f"top-{TOP_K} hit rate {rate:.1%} over {len(cases)} queries; misses:\n{report}")
    assert rate >= MIN_HIT_RATE, f"hit rate {rate:.1%} < {MIN_HIT_RATE:.0%}; misses:\n{report}"


def test_nonsense_returns_nothing(index: SearchIndex) -> None:
    failures = [c for c in load_cases() if not c.expect and index.search(c.query)]
    report = "\n".join(describe(index, c) for c in failures)
    assert failures == [], f"nonsense queries with hits or suggestions:\n{report}"


def test_pruning_does_not_change_results(index: SearchIndex) -> None:
    # MaxScore pruning must be exact: same ranking as scoring every candidate.
    for case in load_cases():
        exhaustive = [pair for pair in index._scored(case.query) if pair[0] >= SUGGEST_SCORE]
        assert index._scored(case.query, SUGGEST_SCORE) == exhaustive, case.query
