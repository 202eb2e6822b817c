"""A synthetic round for benchmarks: `python -m bot.pairing.simulate --frontend N --backend M`.

Builds a seeded random pool (time zones weighted toward Africa, realistic stacks and
interests, some past partners and avoid pairs), runs `match` and `greedy_match`, and reports
sizes, timings and total scores.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bot.pairing.matching import greedy_match, match
from bot.pairing.model import Learner, MatchResult

REFERENCE_INSTANT = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
"""The default reference instant: a Monday in northern summer, so DST is in force."""

TIMEZONE_WEIGHTS: dict[str, float] = {
    "Africa/Lagos": 30,
    "Africa/Nairobi": 14,
    "Africa/Accra": 8,
    "Africa/Cairo": 6,
    "Africa/Johannesburg": 5,
    "Africa/Kigali": 5,
    "Africa/Addis_Ababa": 4,
    "Africa/Kampala": 3,
    "Africa/Dar_es_Salaam": 3,
    "Africa/Casablanca": 2,
    "Africa/Douala": 2,
    "Africa/Abidjan": 2,
    "Africa/Lusaka": 1,
    "Africa/Harare": 1,
    "Europe/London": 3,
    "Europe/Berlin": 2,
    "America/New_York": 3,
    "America/Toronto": 1,
    "America/Chicago": 1,
    "America/Los_Angeles": 1,
    "Asia/Dubai": 1,
    "Asia/Kolkata": 1,
}
"""Where synthetic learners live, with relative weights (mostly African time zones)."""

FRONTEND_STACK = ("react", "vue", "angular", "nextjs", "svelte", "tailwind", "redux")
BACKEND_STACK = ("django", "drf", "fastapi", "flask", "postgresql", "redis", "celery", "mysql")
SHARED_STACK = ("typescript", "graphql", "docker", "rest", "git", "javascript", "python")
INTERESTS = (
    "fintech",
    "e-commerce",
    "health",
    "education",
    "agriculture",
    "travel",
    "social",
    "gaming",
    "logistics",
    "climate",
    "media",
    "government",
)

PAST_PARTNER_SHARE = 0.3
"""Past-round pairs, as a share of the smaller side (a tenth of them repeated twice)."""

AVOID_SHARE = 0.01
"""Avoid entries, as a share of the pool (any two learners, either role)."""


def _tags(
    rng: np.random.Generator, pools: Sequence[tuple[str, ...]], low: int, high: int
) -> frozenset[str]:
    choices = [tag for pool in pools for tag in pool]
    count = int(rng.integers(low, high + 1))
    picked = rng.choice(len(choices), size=min(count, len(choices)), replace=False)
    return frozenset(choices[int(i)] for i in picked)


def synthetic_pool(
    frontend: int, backend: int, seed: int
) -> tuple[list[Learner], list[frozenset[int]], list[tuple[int, int]]]:
    """A seeded pool: (learners, past partners, avoid pairs); frontend ids come first."""
    rng = np.random.default_rng(seed)
    zones = list(TIMEZONE_WEIGHTS)
    weights = np.array(list(TIMEZONE_WEIGHTS.values()), dtype=np.float64)
    weights /= weights.sum()
    learners: list[Learner] = []
    for number in range(frontend + backend):
        is_frontend = number < frontend
        own = FRONTEND_STACK if is_frontend else BACKEND_STACK
        learners.append(
            Learner(
                id=1000 + number,
                role="frontend" if is_frontend else "backend",
                timezone=zones[int(rng.choice(len(zones), p=weights))],
                stack=_tags(rng, (own, SHARED_STACK), 2, 6),
                interests=_tags(rng, (INTERESTS,), 1, 4),
            )
        )
    front_ids = [learner.id for learner in learners[:frontend]]
    back_ids = [learner.id for learner in learners[frontend:]]
    past: list[frozenset[int]] = []
    if front_ids and back_ids:
        for _ in range(int(PAST_PARTNER_SHARE * min(frontend, backend))):
            pair = frozenset((int(rng.choice(front_ids)), int(rng.choice(back_ids))))
            past.append(pair)
            if rng.random() < 0.1:
                past.append(pair)
    avoid: list[tuple[int, int]] = []
    everyone = front_ids + back_ids
    if len(everyone) >= 2:
        for _ in range(int(AVOID_SHARE * len(everyone))):
            who, whom = rng.choice(len(everyone), size=2, replace=False)
            avoid.append((everyone[int(who)], everyone[int(whom)]))
    return learners, past, avoid


def _summary(result: MatchResult) -> dict[str, int]:
    trios = sum(1 for group in result.groups if group.is_trio)
    return {
        "groups": len(result.groups),
        "pairs": len(result.groups) - trios,
        "trios": trios,
        "unmatched": len(result.unplaced),
    }


def simulate(
    frontend: int, backend: int, seed: int, *, at: datetime | None = None
) -> dict[str, Any]:
    """Match a synthetic pool with `match` and `greedy_match`; sizes, timings and scores.

    "seconds" times `match` alone (scoring included, pool building excluded).
    """
    learners, past, avoid = synthetic_pool(frontend, backend, seed)
    instant = at or REFERENCE_INSTANT
    started = time.perf_counter()
    result = match(learners, past_partners=past, avoid=avoid, at=instant)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    greedy = greedy_match(learners, past_partners=past, avoid=avoid, at=instant)
    greedy_seconds = time.perf_counter() - started
    return {
        "frontend": frontend,
        "backend": backend,
        "seed": seed,
        "seconds": round(seconds, 4),
        **_summary(result),
        "score": round(result.score, 4),
        "greedy_score": round(greedy.score, 4),
        "greedy_seconds": round(greedy_seconds, 4),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the simulation as JSON (`--json`) or one line per figure."""
    parser = argparse.ArgumentParser(
        prog="python -m bot pairing simulate", description="Simulate one round of partner matching."
    )
    parser.add_argument("--frontend", type=int, default=100, help="number of frontend learners")
    parser.add_argument("--backend", type=int, default=120, help="number of backend learners")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the synthetic pool")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.frontend < 0 or args.backend < 0:
        parser.error("--frontend and --backend must not be negative")
    report = simulate(args.frontend, args.backend, args.seed)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>15}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
