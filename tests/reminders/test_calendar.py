"""The milestones' iCalendar feed, read back with icalendar as a calendar app would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from icalendar import Calendar

from bot.reminders.calendar import milestones_calendar
from bot.reminders.service import MilestoneInfo

DUE = datetime(2030, 1, 1, 10, tzinfo=UTC)
NOW = datetime(2029, 12, 1, tzinfo=UTC)


def test_each_milestone_is_an_event_with_a_stable_uid_and_its_reminders_as_alarms() -> None:
    demo = MilestoneInfo(7, "Demo day", "Ship it", DUE, (86400, 0), ())
    parsed = Calendar.from_ical(milestones_calendar([demo], title="ProDev deadlines", now=NOW))
    assert parsed["X-WR-CALNAME"] == "ProDev deadlines" and parsed["VERSION"] == "2.0"
    (event,) = parsed.walk("VEVENT")
    assert str(event["UID"]) == "milestone-7@prodev-nexus.bot"
    assert event.decoded("DTSTART") == DUE and str(event["SUMMARY"]) == "Demo day"
    assert str(event["DESCRIPTION"]) == "Ship it"
    triggers = sorted(alarm.decoded("TRIGGER") for alarm in event.walk("VALARM"))
    assert triggers == [-timedelta(days=1), timedelta(0)]


def test_a_changed_milestone_keeps_its_uid_and_times_are_utc() -> None:
    later = DUE.astimezone(timezone(timedelta(hours=1)))
    before = milestones_calendar([MilestoneInfo(3, "A", "", DUE, (0,), ())], title="t", now=NOW)
    after = milestones_calendar([MilestoneInfo(3, "B", "", later, (0,), ())], title="t", now=NOW)
    first = Calendar.from_ical(before).walk("VEVENT")[0]
    second = Calendar.from_ical(after).walk("VEVENT")[0]
    assert first["UID"] == second["UID"]
    assert b"DTSTART:20300101T100000Z" in after


def test_text_that_looks_like_ical_stays_inside_its_field() -> None:
    """A moderator's description cannot add properties or events to the feed."""
    sneaky = "line one\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:fake"
    info = MilestoneInfo(1, "Real; name, with: signs", sneaky, DUE, (0,), ())
    parsed = Calendar.from_ical(milestones_calendar([info], title="t", now=NOW))
    (event,) = parsed.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Real; name, with: signs"
    assert str(event["DESCRIPTION"]) == sneaky.replace("\r\n", "\n")  # one event, whole text
