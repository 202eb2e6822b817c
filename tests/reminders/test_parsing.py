"""What moderators type as a due time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import UserError
from bot.reminders.parsing import parse_due, refuse_past


@pytest.mark.parametrize(
    ("text", "utc_hour"),
    [
        ("2030-01-01T10:00:00Z", 10),
        ("2030-01-01T10:00+01:00", 9),
        ("2030-01-01 10:00 UTC", 10),
        ("2030-01-01 10:00 Africa/Lagos", 9),
        ("2030-01-01 10:00 Lagos", 9),
        ("2030-01-01 10:00 WAT", 9),
        ("2030-01-01 10:00 EAT", 7),
        ("2030-01-01 10:00 New York", 15),
        ("  2030-01-01   10:00   lagos ", 9),
    ],
)
def test_due_times_with_any_zone_pair_join_accepts(text: str, utc_hour: int) -> None:
    assert parse_due(text) == datetime(2030, 1, 1, utc_hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Give the due time"),
        ("next friday", "can't read"),
        ("2030-01-01 10:00", "Add a time zone"),
        ("2030-01-01T10:00", "Add a time zone"),
        ("2030-01-01 10:00 Narnia", "not a time zone I know"),
        ("2030-02-30 10:00 Lagos", "not a real date"),
        ("2030-01-01 25:00 Lagos", "not a real date"),
        ("0001-01-01T00:00:00Z", "between 2000 and 2100"),
        ("9999-12-31T23:59:59Z", "between 2000 and 2100"),
    ],
)
def test_every_unreadable_due_time_gets_one_clear_message(text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_due(text)


def test_a_past_due_time_is_refused_unless_it_is_meant() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(UserError, match="past: True"):
        refuse_past(now - timedelta(minutes=1), now, past=False)
    refuse_past(now - timedelta(days=1), now, past=True)
    refuse_past(now + timedelta(minutes=1), now, past=False)
