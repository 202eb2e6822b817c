"""Latency benchmark of the knowledge SearchIndex against difflib (not a test).

Run from the repository root:

    python bench/search_bench.py

Builds indexes of 1,000, 10,000 and 100,000 entries (the real `content/` entries plus
synthetic variants of them with perturbed titles, aliases and bodies), runs a fixed set of short,
typo and nonsense queries plus learners' natural questions (the tuning relevance set), and prints
the build time, the memory the index keeps (its traced allocations, numpy arrays included), the
process's RSS growth across the first build (that adds what the allocator keeps of the build's
freed temporaries for reuse), and p50/p99 latencies of `search` and `autocomplete`, next to
`difflib.get_close_matches` over the same names and plain bm25s (`pip install bm25s`, skipped
when absent) over the same texts, in the same run.

`--semantic MODEL` (`pip install -e ".[semantic]"`) adds a second table for the search with the
semantic signal at the same sizes: embedding time and memory, the latency of a question whose
embedding is cached (what scales with the entries), and the model time of a new question.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import difflib
import gc
import os
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.knowledge.entry import Entry  # noqa: E402
from bot.knowledge.files import load_directory  # noqa: E402
from bot.knowledge.off_topic import load_off_topic  # noqa: E402
from bot.knowledge.relevance import load_cases  # noqa: E402
from bot.knowledge.search import SearchIndex  # noqa: E402
from bot.knowledge.semantic import FusedSearch, SemanticIndex, load_embedder  # noqa: E402
from bot.knowledge.text import stem, tokenize  # noqa: E402
from bot.knowledge.vocabulary import load_vocabulary  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
NATURAL = 60  # natural questions taken from the tuning relevance set
QUERIES: tuple[str, ...] = (
    # realistic
    "django orm",
    "n+1",
    "how do I fix n+1 queries",
    "what is celery beat used for",
    "select_related vs prefetch_related",
    "database indexing",
    "rest api versioning",
    "k8s",
    "ci/cd pipeline",
    "how to deploy django with docker",
    "redis caching",
    "jwt authentication",
    "graphql vs rest",
    "project nexus submission deadline",
    "what are the milestones",
    # typos
    "djnago",
    "kubernets",
    "postgress",
    "celry beat",
    "seralizers",
    "middlware",
    "pagnation",
    # nonsense
    "banana spaceship",
    "qwxzv plork",
    "what is the capital of peru",
    "asdf",
    "",
    "🐳🐳🐳",
)
PREFIXES: tuple[str, ...] = ("", "d", "dj", "djan", "kub", "n+", "cel", "red", "post", "gra", "qwx")

_SYLLABLES = ("ka", "lo", "ve", "ri", "tan", "mor", "qu", "zen", "pi", "dra", "ul", "ex", "sor")


def _pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def _perturb(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word + rng.choice("xyz")
    i = rng.randrange(len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def synthetic(real: Sequence[Entry], size: int, seed: int = 7) -> list[Entry]:
    """`size` entries: the real ones first, then perturbed copies with unique slugs and names."""
    rng = random.Random(seed)
    out = list(real[:size])
    number = 0
    while len(out) < size:
        base = real[number % len(real)]
        number += 1
        word = _pseudo_word(rng)
        title = f"{base.title} {word} {number}"[:100]
        aliases = tuple(f"{_perturb(a, rng)} {word}"[:100] for a in base.aliases[:4])
        body = f"{base.body}\n\nSee also {word} and {_pseudo_word(rng)}."
        out.append(
            dataclasses.replace(
                base,
                slug=f"{base.slug}-{word}-{number}",
                title=title,
                aliases=aliases,
                related=(),
                body=body[:3500],
            )
        )
    return out


def names_of(entries: Sequence[Entry]) -> list[str]:
    """Every title, alias and slug (what difflib has to match against)."""
    names: list[str] = []
    for e in entries:
        names.extend((e.title, *e.aliases, e.slug))
    return names


def rss() -> int:
    """Resident memory of this process in bytes, after returning freed memory to the system."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def traced_size(build: Callable[[], object]) -> int:
    """Bytes that the object made by `build` keeps allocated (Python objects and numpy arrays)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        gc.collect()
        size = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del kept
    return size


def bm25s_ranker(entries: Sequence[Entry]) -> Callable[[str], list[int]] | None:
    """Plain bm25s over every entry's title, aliases, misspellings, questions, tags, summary and
    body (the same data the index has), with the index's own tokenizer; the ranker returns the
    positions of the best 5 entries. None when bm25s is not installed
    (`pip install -e ".[bench]"`)."""
    try:
        import bm25s  # type: ignore[import-not-found]
    except ImportError:
        return None

    def tokens(text: str) -> list[str]:
        return [stem(t) for t in tokenize(text)]

    vocab: dict[str, int] = {}
    corpus = [
        [
            vocab.setdefault(t, len(vocab))
            for t in tokens(
                " ".join((e.title, *e.aliases, *e.misspellings, *e.questions, *e.tags))
                + f" {e.summary} {e.body}"
            )
        ]
        for e in entries
    ]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenization.Tokenized(corpus, vocab), show_progress=False)

    def rank(query: str) -> list[int]:
        ids = [vocab[t] for t in tokens(query) if t in vocab]
        if not ids:
            return []
        k = min(5, len(entries))
        docs, scores = retriever.retrieve(
            bm25s.tokenization.Tokenized([ids], vocab), k=k, show_progress=False
        )
        return [int(d) for d, score in zip(docs[0], scores[0], strict=True) if score > 0]

    return rank


def measure(call: Callable[[str], object], queries: Sequence[str], rounds: int) -> list[float]:
    """Per-call latencies in milliseconds."""
    for q in queries:  # warm-up (lazy structures, caches)
        call(q)
    samples: list[float] = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            for q in queries:
                start = time.perf_counter_ns()
                call(q)
                samples.append((time.perf_counter_ns() - start) / 1e6)
    finally:
        gc.enable()
    return samples


def pct(samples: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) of `samples`."""
    ordered = sorted(samples)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def semantic_table(
    model: str, real: Sequence[Entry], natural: Sequence[str], sizes: Sequence[int], rounds: int
) -> None:
    """The search with the semantic signal at each size, the lexical search as its baseline."""
    embedder = load_embedder(model)
    if embedder is None:
        raise SystemExit(f"--semantic: cannot load {model} (install .[semantic])")
    vocabulary, _ = load_vocabulary(ROOT / "content")
    off_topic, _ = load_off_topic(ROOT / "content")
    started = time.perf_counter()
    for text in natural:
        embedder.encode([f"{text} ?"])  # a text never embedded: the model's time alone
    model_ms = (time.perf_counter() - started) * 1000 / len(natural)
    print(f"\nSemantic signal ({model}): a new question's embedding takes {model_ms:.1f} ms\n")
    print(
        "| entries | embed s | memory KB/entry | lexical questions p50 / p99 ms "
        "| semantic questions p50 / p99 ms (embedding cached) |"
    )
    print("|---:|---:|---:|---:|---:|")
    for size in sizes:
        entries = synthetic(real, size)
        index = SearchIndex(entries, vocabulary)
        started = time.perf_counter()
        semantic = SemanticIndex(embedder, entries, off_topic=off_topic)
        embed = time.perf_counter() - started
        lexical = measure(index.search, natural, rounds)
        fused = measure(FusedSearch(index, semantic).search, natural, rounds)
        print(
            f"| {size:,} | {embed:.1f} | {semantic.nbytes / size / 1000:.1f} "
            f"| {pct(lexical, 50):.3f} / {pct(lexical, 99):.3f} "
            f"| {pct(fused, 50):.3f} / {pct(fused, 99):.3f} |"
        )
        sys.stdout.flush()
        del index, semantic, entries


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="rounds of the query set")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--semantic", metavar="MODEL", help="also measure the semantic signal")
    args = parser.parse_args()

    real, problems = load_directory(ROOT / "content")
    if not real:
        raise SystemExit("no entries in content/")
    vocabulary, _ = load_vocabulary(ROOT / "content")
    tuning = ROOT / "tests" / "knowledge" / "relevance" / "questions" / "tuning.yaml"
    natural = [c.query for c in load_cases([tuning]) if c.expect][:NATURAL]
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{len(real)} real entries ({len(problems)} content problems), "
        f"{len(QUERIES)} short/typo/nonsense queries and {len(natural)} natural questions "
        f"x {args.rounds} rounds, {len(PREFIXES)} prefixes"
    )
    print()
    print(
        "| entries | build s | index KB/entry | RSS growth KB/entry | short p50 / p99 ms "
        "| questions p50 / p99 ms | autocomplete p50 / p99 ms | difflib p50 / p99 ms "
        "| bm25s questions p50 / p99 ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        entries = synthetic(real, size)
        before = rss()
        start = time.perf_counter()
        index = SearchIndex(entries, vocabulary)
        build = time.perf_counter() - start
        grown = (rss() - before) / size / 1000
        kept = traced_size(lambda entries=entries: SearchIndex(entries, vocabulary)) / size / 1000
        names = names_of(entries)
        short = measure(index.search, QUERIES, args.rounds)
        questions = measure(index.search, natural, args.rounds)
        complete = measure(index.autocomplete, PREFIXES, args.rounds)
        difflib_rounds = max(1, min(args.rounds, 30_000 // len(names)))
        baseline = measure(
            lambda q, names=names: difflib.get_close_matches(q, names, n=5, cutoff=0.6),
            QUERIES[:8],
            difflib_rounds,
        )
        del index
        bm25 = bm25s_ranker(entries)
        plain = measure(bm25, natural, args.rounds) if bm25 else None
        print(
            f"| {size:,} | {build:.2f} | {kept:.1f} | {grown:.1f} "
            f"| {pct(short, 50):.3f} / {pct(short, 99):.3f} "
            f"| {pct(questions, 50):.3f} / {pct(questions, 99):.3f} "
            f"| {pct(complete, 50):.3f} / {pct(complete, 99):.3f} "
            f"| {pct(baseline, 50):.2f} / {pct(baseline, 99):.2f} "
            + (f"| {pct(plain, 50):.3f} / {pct(plain, 99):.3f} |" if plain else "| - |")
        )
        sys.stdout.flush()
        del bm25, entries
    if args.semantic:
        semantic_table(args.semantic, real, natural, args.sizes, args.rounds)


if __name__ == "__main__":
    main()
