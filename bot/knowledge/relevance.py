"""Relevance measurement: how well a search answers a set of questions with known answers.

A case file (`tests/knowledge/relevance/**/*.yaml`) is a YAML list of `{query, expect}` items:
`expect` lists the slugs a person would accept, best first; `expect: []` marks an off-topic
question that must get nothing. `bench/relevance.py` prints these scores and
`tests/knowledge/test_relevance.py` guards them.

What the learner sees decides the score: the first confident hit is the answer `/learn`
shows, with the next two matches (confident or not) as "Or: …" buttons under it; when nothing is
confident, the first three suggestions are the "closest matches" buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.knowledge.presentation import SHOWN_MATCHES
from bot.knowledge.search import SearchResult

TOP_K = SHOWN_MATCHES


@dataclass(frozen=True, slots=True)
class Case:
    """One question and the slugs that answer it (none: it must find nothing)."""

    query: str
    expect: tuple[str, ...]
    file: str = ""

    @property
    def off_topic(self) -> bool:
        return not self.expect


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the search did with one case."""

    case: Case
    shown: tuple[str, ...]  # slugs as shown: confident hits, else the closest matches
    answer: str | None  # the first confident hit, if any

    @property
    def rank(self) -> int | None:
        """1-based rank of the first acceptable slug among those shown, or None."""
        for position, slug in enumerate(self.shown, 1):
            if slug in self.case.expect:
                return position
        return None


@dataclass(frozen=True, slots=True)
class Scores:
    """Rates over a set of cases (0-1)."""

    questions: int
    off_topic: int
    top1: float  # the confident answer is right
    top3: float  # a right entry is among the first three shown
    mrr: float  # mean reciprocal rank of the first right entry shown
    wrong_answer: float  # a confident answer that is wrong
    off_topic_empty: float  # off-topic questions that got nothing at all
    misses: tuple[Outcome, ...]  # on-topic cases outside the top 3, off-topic ones answered


def load_cases(paths: Iterable[Path]) -> list[Case]:
    """Cases of the given YAML files, in order."""
    cases: list[Case] = []
    for path in paths:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            expect = item.get("expect") or []
            if isinstance(expect, str):
                expect = [expect]
            cases.append(Case(str(item["query"]), tuple(str(s) for s in expect), path.name))
    return cases


def outcome(case: Case, result: SearchResult) -> Outcome:
    """What a learner would see for `case` given the search `result`."""
    return Outcome(
        case,
        tuple(hit.slug for hit in result.ranked[:TOP_K]),
        result.hits[0].slug if result.hits else None,
    )


def evaluate(search: Callable[[str], SearchResult], cases: list[Case]) -> Scores:
    """Run every case through `search` and score it."""
    outcomes = [outcome(case, search(case.query)) for case in cases]
    on_topic = [o for o in outcomes if not o.case.off_topic]
    off_topic = [o for o in outcomes if o.case.off_topic]
    count = max(len(on_topic), 1)
    ranks = [o.rank for o in on_topic]
    misses = [o for o in on_topic if o.rank is None or o.rank > TOP_K]
    misses += [o for o in off_topic if o.shown]
    return Scores(
        questions=len(on_topic),
        off_topic=len(off_topic),
        top1=sum(o.answer in o.case.expect for o in on_topic) / count,
        top3=sum(r is not None and r <= TOP_K for r in ranks) / count,
        mrr=sum(1 / r for r in ranks if r is not None) / count,
        wrong_answer=sum(o.answer is not None and o.answer not in o.case.expect for o in on_topic)
        / count,
        off_topic_empty=sum(not o.shown for o in off_topic) / max(len(off_topic), 1),
        misses=tuple(misses),
    )


def describe(item: Outcome) -> str:
    """One line per miss, for reports."""
    expect = ", ".join(item.case.expect) or "nothing"
    answer = f"answer {item.answer}" if item.answer else "no answer"
    shown = ", ".join(item.shown) or "-"
    return f"{item.case.query!r}: expect {expect}; {answer}; shown {shown}"
