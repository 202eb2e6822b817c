"""Discord's rules for guild scheduled events, as the emulator enforces them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from emulator.validation import validate_scheduled_event

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def body(**changes: object) -> dict[str, object]:
    event: dict[str, object] = {
        "name": "Demo day",
        "description": "Ship it",
        "privacy_level": 2,
        "entity_type": 3,
        "entity_metadata": {"location": "https://discord.com/channels/1/2"},
        "scheduled_start_time": (NOW + timedelta(days=1)).isoformat(),
        "scheduled_end_time": (NOW + timedelta(days=1, hours=1)).isoformat(),
    }
    event.update(changes)
    return event


def test_a_valid_external_event_passes() -> None:
    assert validate_scheduled_event(body(), now=NOW) == []


def test_discords_limits_are_enforced() -> None:
    cases = {
        "name": body(name="x" * 101),
        "description": body(description="x" * 1001),
        "privacy_level": body(privacy_level=1),
        "cannot be in the past": body(
            scheduled_start_time=(NOW - timedelta(minutes=1)).isoformat()
        ),
        "location": body(entity_metadata={}),
        "required for external": body(scheduled_end_time=None),
        "after the start": body(scheduled_end_time=NOW.isoformat()),
    }
    for expected, event in cases.items():
        problems = validate_scheduled_event(event, now=NOW)
        assert any(expected in p for p in problems), (expected, problems)


def test_an_edit_is_checked_with_the_event_it_changes() -> None:
    existing = body()
    assert validate_scheduled_event({"name": "Renamed"}, now=NOW, existing=existing) == []
    assert validate_scheduled_event({"name": ""}, now=NOW, existing=existing)
    late = {"scheduled_start_time": (NOW - timedelta(days=1)).isoformat()}
    assert validate_scheduled_event(late, now=NOW, existing=existing)
