"""The program timeline file: milestones as a template relative to a cohort's start date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.reminders.parsing import parse_offsets


@dataclass(frozen=True)
class TemplateMilestone:
    """One milestone of the template: `day` days after the cohort starts, at `at` local time."""

    key: str
    name: str
    day: int
    at: time
    offsets: tuple[int, ...]
    description: str


@dataclass(frozen=True)
class Timeline:
    """The whole template."""

    program: str
    cohort_start: date
    timezone: str
    default_offsets: tuple[int, ...]
    milestones: tuple[TemplateMilestone, ...]


@dataclass(frozen=True)
class PlannedMilestone:
    """A milestone with a concrete due time, ready to be created."""

    key: str
    name: str
    due_at: datetime
    offsets: tuple[int, ...]
    description: str


def load_timeline(path: Path) -> Timeline:
    """Read and check `timeline.yaml`; raise ValueError naming the problem."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    try:
        default = parse_offsets(str(data.get("default_offsets", "7d,1d,0m")))
        ZoneInfo(data["timezone"])
        milestones = tuple(
            TemplateMilestone(
                key=str(item["key"]),
                name=str(item["name"])[:100],
                day=int(item["day"]),
                at=time.fromisoformat(str(item.get("time", "09:00"))),
                offsets=parse_offsets(str(item["offsets"])) if "offsets" in item else default,
                description=" ".join(str(item.get("description", "")).split()),
            )
            for item in data["milestones"]
        )
        return Timeline(
            program=str(data["program"]),
            cohort_start=date.fromisoformat(str(data["cohort_start"])),
            timezone=str(data["timezone"]),
            default_offsets=default,
            milestones=milestones,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: invalid timeline: {error}") from error


def plan_cohort(
    timeline: Timeline, start: date, cohort: str | None = None
) -> list[PlannedMilestone]:
    """The milestones a cohort starting on `start` gets, in due order."""
    zone = ZoneInfo(timeline.timezone)
    label = cohort or start.isoformat()
    planned = []
    for item in timeline.milestones:
        day = start + timedelta(days=item.day)
        due = datetime.combine(day, item.at, tzinfo=zone)
        planned.append(
            PlannedMilestone(
                key=item.key,
                name=f"{item.name} [{label}]"[:100],
                due_at=due,
                offsets=item.offsets,
                description=item.description,
            )
        )
    return sorted(planned, key=lambda p: p.due_at)
