"""Plain values of the partner-matching core: learners in, groups and unplaced learners out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Role = Literal["frontend", "backend"]
"""A learner's track: every group has at least one of each."""

ROLES: tuple[Role, ...] = get_args(Role)
"""Every valid role, in the order groups list them."""


@dataclass(frozen=True, slots=True)
class Learner:
    """One learner in the pool for a round.

    `timezone` is an IANA name (see `bot.timezones.resolve_timezone`); `stack` and
    `interests` are free tags compared case-insensitively.
    """

    id: int
    role: Role
    timezone: str
    stack: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {self.role!r}")


@dataclass(frozen=True, slots=True)
class Group:
    """A frontend/backend pair, or a 2:1 trio (a pair that took one extra member).

    `members` lists the pair first (frontend, then backend), then the extra member if any;
    `frontend` and `backend` keep that order. `score` is the sum of the group's scored
    frontend-backend links (one for a pair, two for a trio); `overlap_hours` is the working
    time (09:00-18:00 local) that all members share; `shared` lists the stack tags, then the
    interests, held by at least one frontend and at least one backend member (lower case).
    """

    members: tuple[int, ...]
    frontend: tuple[int, ...]
    backend: tuple[int, ...]
    score: float
    overlap_hours: float
    shared: tuple[str, ...]

    @property
    def is_trio(self) -> bool:
        """True for a 2:1 trio."""
        return len(self.members) == 3


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A learner left out of this round, with a sentence they can read."""

    learner_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The groups of a round, who was left out and why, and the total score of the groups."""

    groups: tuple[Group, ...]
    unplaced: tuple[Unplaced, ...]
    score: float

    @property
    def placed_ids(self) -> frozenset[int]:
        """Every learner who is in a group."""
        return frozenset(member for group in self.groups for member in group.members)
