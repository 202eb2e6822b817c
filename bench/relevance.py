"""Relevance benchmark of /learn's search on the real content (not a test).

Run from the repository root:

    python bench/relevance.py [--judge] [--misses SET] [--bm25s] [--semantic MODEL]

Prints top-1, top-3, MRR, wrong confident answers and the share of off-topic questions that got
nothing, for each set: the fifth held-out set (`heldout_5`, only with `--judge`: frozen before
the engine changed, never used for tuning; its misses are never printed), the spent held-out
sets (`heldout_4` to `heldout`: their rates were read to choose earlier changes), the
tuning questions, and the names/typos/abbreviations set. `--bm25s` adds plain bm25s (`pip
install -e ".[bench]"`) over the same entries as a reference ranking, in the same run: it always
returns something, so its off-topic figure is not comparable. `--semantic MODEL` adds the search
with the optional semantic signal (`pip install -e ".[semantic]"`; MODEL as
`NEXUS_SEMANTIC_MODEL`, e.g. all-MiniLM-L6-v2).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from search_bench import bm25s_ranker  # noqa: E402

from bot.knowledge.entry import Entry  # noqa: E402
from bot.knowledge.files import load_directory  # noqa: E402
from bot.knowledge.off_topic import load_off_topic  # noqa: E402
from bot.knowledge.relevance import Scores, describe, evaluate, load_cases  # noqa: E402
from bot.knowledge.search import Hit, SearchIndex, SearchResult  # noqa: E402
from bot.knowledge.semantic import FusedSearch, SemanticIndex, load_embedder  # noqa: E402
from bot.knowledge.vocabulary import load_vocabulary  # noqa: E402

RELEVANCE = ROOT / "tests" / "knowledge" / "relevance"
JUDGE = "heldout_5"  # the held-out set that judges: its misses are never printed
SETS: dict[str, Sequence[Path]] = {
    "heldout_5": [RELEVANCE / "questions" / "heldout_5.yaml"],
    "heldout_4": [RELEVANCE / "questions" / "heldout_4.yaml"],
    "heldout_3": [RELEVANCE / "questions" / "heldout_3.yaml"],
    "heldout_2": [RELEVANCE / "questions" / "heldout_2.yaml"],
    "heldout": [RELEVANCE / "questions" / "heldout.yaml"],
    "tuning": [RELEVANCE / "questions" / "tuning.yaml"],
    "tuning_2": [RELEVANCE / "questions" / "tuning_2.yaml"],
    "names": sorted((RELEVANCE / "names").glob("*.yaml")),
}


def bm25s_search(entries: list[Entry]) -> Callable[[str], SearchResult]:
    """bm25s as a search: its best 5 entries as hits."""
    rank = bm25s_ranker(entries)
    if rank is None:
        raise SystemExit('--bm25s needs bm25s: pip install -e ".[bench]"')

    def search(query: str) -> SearchResult:
        found = (entries[d] for d in rank(query))
        return SearchResult(tuple(Hit(e.slug, e.title, e.category, 100) for e in found))

    return search


def row(name: str, engine: str, scores: Scores) -> str:
    off = f"{scores.off_topic_empty:.1%} of {scores.off_topic}" if scores.off_topic else "-"
    return (
        f"| {name} | {engine} | {scores.questions} | {scores.top1:.1%} | {scores.top3:.1%} "
        f"| {scores.mrr:.3f} | {scores.wrong_answer:.1%} | {off} |"
    )


def cost_table(
    index: SearchIndex, fused: FusedSearch, semantic: SemanticIndex, build: float, entries: int
) -> str:
    """Per-query latency of both engines on every question (embeddings not cached), the
    semantic index's build time and memory."""
    queries = list(dict.fromkeys(c.query for p in SETS.values() for c in load_cases(p)))
    lines = [
        "\n| engine | questions | p50 ms | p99 ms | build s | memory KB/entry |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, search in (("nexus", index.search), ("nexus+semantic", fused.search)):
        times = []
        for query in queries:
            started = time.perf_counter()
            search(f"{query} ?")  # a text never embedded before (the "?" survives cleaning)
            times.append((time.perf_counter() - started) * 1000)
        p50, p99 = statistics.quantiles(times, n=100)[49], statistics.quantiles(times, n=100)[98]
        build_s, memory = (
            (f"{build:.1f}", f"{semantic.nbytes / entries / 1000:.1f}")
            if name != "nexus"
            else ("-", "-")
        )
        lines.append(f"| {name} | {len(queries)} | {p50:.1f} | {p99:.1f} | {build_s} | {memory} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print a Markdown table of the sets' scores."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--misses", choices=sorted(set(SETS) - {JUDGE}), action="append", default=[]
    )
    parser.add_argument(
        "--judge", action="store_true", help=f"also score {JUDGE} (read it once per change)"
    )
    parser.add_argument("--bm25s", action="store_true", help="also rank with plain bm25s")
    parser.add_argument("--semantic", metavar="MODEL", help="also rank with the semantic signal")
    args = parser.parse_args()
    entries, problems = load_directory(ROOT / "content")
    if problems:
        raise SystemExit(f"{len(problems)} content problems: run python -m bot content validate")
    vocabulary, vocabulary_problems = load_vocabulary(ROOT / "content")
    if vocabulary_problems:
        raise SystemExit(f"content/vocabulary.yaml: {vocabulary_problems[0]}")
    index = SearchIndex(entries, vocabulary)
    engines: dict[str, Callable[[str], SearchResult]] = {"nexus": index.search}
    costs = ""
    if args.semantic:
        embedder = load_embedder(args.semantic)
        if embedder is None:
            raise SystemExit(f"--semantic: cannot load {args.semantic} (install .[semantic])")
        started = time.perf_counter()
        semantic = SemanticIndex(embedder, entries, off_topic=load_off_topic(ROOT / "content")[0])
        build = time.perf_counter() - started
        fused = FusedSearch(index, semantic)
        engines["nexus+semantic"] = fused.search
        costs = cost_table(index, fused, semantic, build, len(entries))
    if args.bm25s:
        engines["bm25s"] = bm25s_search(entries)
    print(
        "| set | engine | questions | top-1 | top-3 | MRR | wrong answer | off-topic empty |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|"
    )
    reports: list[str] = []
    for name, paths in SETS.items():
        if name == JUDGE and not args.judge:
            continue
        cases = load_cases(paths)
        for engine, search in engines.items():
            scores = evaluate(search, cases)
            print(row(name, engine, scores))
            if name in args.misses:
                reports.append(f"\n{name} ({engine}): {len(scores.misses)} misses")
                reports.extend(f"  {describe(miss)}" for miss in scores.misses)
    print(costs + "\n".join(reports))


if __name__ == "__main__":
    main()
