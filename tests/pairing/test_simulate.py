"""The synthetic-round simulation behind the benchmark (small sizes; no timing assertions)."""

from __future__ import annotations

import json

import pytest

from bot.pairing.simulate import main, simulate, synthetic_pool
from bot.timezones import resolve_timezone

KEYS = {
    "frontend",
    "backend",
    "seed",
    "seconds",
    "groups",
    "pairs",
    "trios",
    "unmatched",
    "score",
    "greedy_score",
    "greedy_seconds",
}


def test_synthetic_pool_is_seeded_and_realistic() -> None:
    learners, past, avoid = synthetic_pool(90, 110, seed=5)
    again = synthetic_pool(90, 110, seed=5)
    assert (learners, past, avoid) == again
    assert synthetic_pool(90, 110, seed=6)[0] != learners
    assert sum(learner.role == "frontend" for learner in learners) == 90
    assert len({learner.id for learner in learners}) == 200
    assert all(resolve_timezone(learner.timezone) == learner.timezone for learner in learners)
    africa = sum(learner.timezone.startswith("Africa/") for learner in learners)
    assert africa > len(learners) / 2
    assert past and avoid


def test_simulate_reports_every_figure() -> None:
    report = simulate(40, 55, seed=2)
    assert set(report) == KEYS
    assert (report["frontend"], report["backend"], report["seed"]) == (40, 55, 2)
    assert report["groups"] == report["pairs"] + report["trios"] == 40
    assert report["trios"] == 15
    assert report["unmatched"] == 0
    assert report["score"] >= report["greedy_score"]
    assert report["seconds"] >= 0 and report["greedy_seconds"] >= 0


@pytest.mark.parametrize(("frontend", "backend"), [(0, 0), (0, 5), (4, 0), (1, 1), (3, 9)])
def test_simulate_handles_small_and_one_sided_pools(frontend: int, backend: int) -> None:
    report = simulate(frontend, backend, seed=1)
    placed = frontend + backend - report["unmatched"]
    assert placed == 2 * report["pairs"] + 3 * report["trios"]


def test_command_line_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--frontend", "12", "--backend", "15", "--seed", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == KEYS
    assert report["frontend"] == 12 and report["backend"] == 15 and report["seed"] == 4
