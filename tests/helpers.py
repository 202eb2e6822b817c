"""Small things several test modules share."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


class Clock:
    """A clock the test moves by hand (services take `clock=`)."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now
