"""Helpers shared by the partner-matching tests."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime

from bot.pairing.model import Learner, Role

SUMMER = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
WINTER = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)

ZONES = (
    "Africa/Lagos",
    "Africa/Nairobi",
    "Africa/Accra",
    "Africa/Johannesburg",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
)
STACK = ("react", "vue", "django", "fastapi", "docker", "graphql", "typescript")
INTERESTS = ("fintech", "health", "education", "gaming", "travel")


def person(
    learner_id: int,
    role: Role,
    timezone: str = "Africa/Lagos",
    stack: Iterable[str] = (),
    interests: Iterable[str] = (),
) -> Learner:
    """A learner with short defaults."""
    return Learner(learner_id, role, timezone, frozenset(stack), frozenset(interests))


def random_pool(rng: random.Random, frontend: int, backend: int) -> list[Learner]:
    """Random learners: ids 1..frontend are frontend, the rest backend."""
    pool = []
    for number in range(1, frontend + backend + 1):
        pool.append(
            person(
                number,
                "frontend" if number <= frontend else "backend",
                rng.choice(ZONES),
                rng.sample(STACK, rng.randint(0, 4)),
                rng.sample(INTERESTS, rng.randint(0, 3)),
            )
        )
    return pool


def random_avoid(rng: random.Random, pool: list[Learner], count: int) -> list[tuple[int, int]]:
    """Random (who, whom) entries between distinct learners of the pool."""
    ids = [learner.id for learner in pool]
    if len(ids) < 2:
        return []
    return [tuple(rng.sample(ids, 2)) for _ in range(count)]  # type: ignore[misc]


def random_past(rng: random.Random, pool: list[Learner], count: int) -> list[frozenset[int]]:
    """Random past frontend-backend pairs (repeats possible)."""
    front = [learner.id for learner in pool if learner.role == "frontend"]
    back = [learner.id for learner in pool if learner.role == "backend"]
    if not front or not back:
        return []
    return [frozenset((rng.choice(front), rng.choice(back))) for _ in range(count)]
