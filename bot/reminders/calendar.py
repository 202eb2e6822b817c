"""Milestones as an iCalendar feed (RFC 5545), so learners see deadlines in their own
calendar app: one event per milestone with a stable UID (a changed milestone updates the event
instead of adding one), times in UTC, and an alarm at each reminder offset."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.reminders.parsing import describe_offset
from bot.reminders.service import MilestoneInfo

PRODUCT = "-//ProDev Nexus bot//Milestones//EN"
UID_DOMAIN = "prodev-nexus.bot"


def milestones_calendar(milestones: Sequence[MilestoneInfo], *, title: str, now: datetime) -> bytes:
    """The `.ics` file of `milestones`, named `title` in calendar apps."""
    from icalendar import Alarm, Calendar, Event  # 4 MB: imported when a feed is asked for

    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title)
    for milestone in milestones:
        due = milestone.due_at.astimezone(UTC)
        event = Event()
        event.add("uid", f"milestone-{milestone.id}@{UID_DOMAIN}")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", due)
        event.add("dtend", due)
        event.add("summary", milestone.name)
        if milestone.description:
            event.add("description", milestone.description)
        for offset in milestone.offsets:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{milestone.name}: {describe_offset(offset)}")
            alarm.add("trigger", -timedelta(seconds=offset))
            event.add_component(alarm)
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()  # icalendar leaves to_ical unannotated
    return ical
