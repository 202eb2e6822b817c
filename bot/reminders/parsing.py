"""Parsing what moderators type: due times with a zone, and reminder offsets like `7d,2h,0m`."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.errors import UserError, quoted
from bot.timezones import resolve_timezone

OFFSET = re.compile(r"^(\d{1,4})([wdhm])$")
UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}
MAX_OFFSETS = 10
DUE_EXAMPLE = "`2026-11-30T17:00:00Z` or `2026-11-30 17:00 Lagos`"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # due dates outside these years are typos (or attacks)
_LOCAL = re.compile(
    r"^(?P<date>\d{4}-\d{1,2}-\d{1,2})[ T](?P<time>\d{1,2}:\d{2})(?::00)? (?P<zone>[^\d+-].*)$"
)
OFFSETS_EXAMPLE = "`7d,3d,1d,2h,0m` (w weeks, d days, h hours, m minutes; 0m = at the due time)"


def parse_offsets(text: str) -> tuple[int, ...]:
    """`"7d, 2h,0m"` -> seconds before the due time, largest first, without duplicates."""
    parts = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not parts:
        raise UserError(f"Give at least one reminder offset, for example {OFFSETS_EXAMPLE}.")
    seconds = set()
    for part in parts:
        match = OFFSET.match(part)
        if match is None:
            raise UserError(
                f"{quoted(part, 20)} is not an offset; write them like {OFFSETS_EXAMPLE}."
            )
        value = int(match[1]) * UNIT_SECONDS[match[2]]
        if value > 365 * 86400:
            raise UserError(f"`{part}` is more than a year before the due time.")
        seconds.add(value)
    if len(seconds) > MAX_OFFSETS:
        raise UserError(f"At most {MAX_OFFSETS} reminders per milestone.")
    return tuple(sorted(seconds, reverse=True))


def format_offset(seconds: int) -> str:
    """`604800` -> `7d`; `0` -> `0m`."""
    for unit in ("w", "d", "h", "m"):
        size = UNIT_SECONDS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


def describe_offset(seconds: int) -> str:
    """`86400` -> `1 day before`; `0` -> `at the due time`."""
    if seconds == 0:
        return "at the due time"
    for unit, name in (("w", "week"), ("d", "day"), ("h", "hour"), ("m", "minute")):
        size = UNIT_SECONDS[unit]
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {name}{'s' if count != 1 else ''} before"
    return f"{seconds // 60} minutes before"


def parse_due(text: str) -> datetime:
    """`2026-11-30T17:00:00Z` (ISO 8601 with a zone or offset) or `2026-11-30 17:00 Lagos`
    (a date, a time and any time zone `/pair join` accepts: a city, an abbreviation such as
    WAT, or an IANA name); returns an aware datetime. Every unreadable input gets one clear
    message."""
    text = " ".join(text.split())
    if not text:
        raise UserError(f"Give the due time, for example {DUE_EXAMPLE}.")
    local = _LOCAL.match(text)
    if local is not None:
        zone = resolve_timezone(local["zone"])
        if zone is None:
            raise UserError(
                f"{quoted(local['zone'])} is not a time zone I know; give a city (`Lagos`), an "
                "abbreviation (`WAT`) or an IANA name (`Africa/Lagos`)."
            )
        try:
            moment = datetime.strptime(f"{local['date']} {local['time']}", "%Y-%m-%d %H:%M")
        except ValueError:
            raise UserError(
                f"{quoted(local['date'] + ' ' + local['time'])} is not a real date and time; "
                f"use {DUE_EXAMPLE}."
            ) from None
        parsed = moment.replace(tzinfo=ZoneInfo(zone))
    else:
        try:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            raise UserError(f"I can't read {quoted(text)} as a time; use {DUE_EXAMPLE}.") from None
        if parsed.tzinfo is None:
            raise UserError(
                f"Add a time zone so everyone gets the same moment, e.g. {DUE_EXAMPLE}."
            )
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise UserError(
            f"{quoted(text)} is not a date a program deadline can have: give one between "
            f"{FIRST_YEAR} and {LAST_YEAR}."
        )
    return parsed


def refuse_past(due_at: datetime, now: datetime, *, past: bool) -> None:
    """A due time before `now` is a typo more often than not: refuse it unless `past` says
    it is meant (a past milestone is recorded; its reminders are not sent)."""
    if due_at < now and not past:
        raise UserError(
            f"That due time is in the past (<t:{int(due_at.timestamp())}:R>), so no reminder "
            "would be sent. Check the date; to record a past milestone anyway, add `past: True`."
        )
