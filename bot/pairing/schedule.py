"""When automatic pairing rounds run: `"mon 09:00"` (UTC), once a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def parse_schedule(text: str) -> tuple[int, int, int] | None:
    """`"mon 09:00"` -> (weekday, hour, minute); empty -> None (no automatic rounds)."""
    text = text.strip().lower()
    if not text:
        return None
    day, _, clock = text.partition(" ")
    try:
        hour, minute = (int(part) for part in clock.split(":"))
    except ValueError:
        raise ValueError("write it like 'mon 09:00' (UTC)") from None
    if day[:3] not in DAYS or not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError("write it like 'mon 09:00' (UTC)")
    return DAYS[day[:3]], hour, minute


def last_occurrence(schedule: tuple[int, int, int], now: datetime) -> datetime:
    """The latest scheduled moment at or before `now`."""
    weekday, hour, minute = schedule
    moment = now.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    moment -= timedelta(days=(moment.weekday() - weekday) % 7)
    return moment - timedelta(days=7) if moment > now else moment
