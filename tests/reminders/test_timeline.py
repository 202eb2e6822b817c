"""The program timeline: the 2025 cohort's dates as the write-ups give them, and the template."""

from datetime import UTC, date, datetime
from pathlib import Path

from bot.reminders.timeline import load_timeline, plan_cohort

TIMELINE = Path(__file__).resolve().parents[2] / "content" / "timeline.yaml"


def test_the_2025_cohort_gets_the_dates_the_write_ups_give() -> None:
    timeline = load_timeline(TIMELINE)
    plan = {p.key: p.due_at for p in plan_cohort(timeline, timeline.cohort_start)}
    assert plan["month-1"] == datetime(2025, 6, 23, 9, tzinfo=UTC)
    assert plan["project-nexus-start"] == datetime(2025, 7, 21, 9, tzinfo=UTC)
    assert plan["project-nexus-deadline"] == datetime(2025, 8, 10, 23, 59, tzinfo=UTC)
    assert plan["project-review-window"] == datetime(2025, 8, 11, 9, tzinfo=UTC)
    assert plan["month-2"].date() == date(2025, 7, 21)
    assert plan["month-3"].date() == date(2025, 8, 18)
    assert plan["month-4"].date() == date(2025, 9, 8)


def test_a_new_cohort_shifts_every_milestone() -> None:
    timeline = load_timeline(TIMELINE)
    plan = plan_cohort(timeline, date(2027, 1, 4))
    assert plan[0].due_at == datetime(2027, 1, 4, 9, tzinfo=UTC)
    assert all(p.name.endswith("[2027-01-04]") for p in plan)
    assert [p.due_at for p in plan] == sorted(p.due_at for p in plan)
