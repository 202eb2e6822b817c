"""The program timeline file: milestones as a template relative to a cohort's start date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.errors import UserError
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


TOP_KEYS = ("program", "cohort_start", "timezone", "default_offsets", "milestones")
MILESTONE_KEYS = ("key", "name", "day", "time", "offsets", "description")
MAX_NAME = 100

DATE_IN_TEXT = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d{1,2}\b"
    r"|\b(?:19|20)\d\d\b",
    re.IGNORECASE,
)
"""A calendar date or a year in a milestone's text ("August 11", "2025")."""


class _Loader(yaml.SafeLoader):  # type: ignore[misc]  # yaml is untyped here (no types-PyYAML)
    """YAML without implicit timestamps: a date stays text, checked here with a clear message
    (PyYAML's own conversion raises on `2025-13-01`)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _lines(node: yaml.Node | None) -> dict[str, int]:
    """1-based line of each key of a mapping node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def read_timeline(
    path: Path, *, strict: bool = False
) -> tuple[Timeline | None, list[tuple[int, str]]]:
    """Read `timeline.yaml`: the timeline (None when it has a problem) and every problem, as
    (line, message). With `strict`, a milestone's name or description must not hold a date:
    they are copied to every cohort, whose dates come from `day` alone."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except (OSError, UnicodeDecodeError) as error:
        return None, [(1, f"cannot read: {error}")]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return None, [(mark.line + 1 if mark else 1, f"invalid YAML: {error.problem or error}")]
    except yaml.YAMLError as error:
        return None, [(1, f"invalid YAML: {error}")]
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        return None, [(1, f"must be a mapping with {', '.join(TOP_KEYS)}")]
    lines = _lines(root)
    problems: list[tuple[int, str]] = []

    def bad(line: int, message: str) -> None:
        problems.append((line, message))

    for key in data:
        if key not in TOP_KEYS:
            bad(lines.get(str(key), 1), f"unknown field {key!r} (expected: {', '.join(TOP_KEYS)})")
    for key in ("program", "cohort_start", "timezone", "milestones"):
        if key not in data:
            bad(1, f"missing field {key!r}")
    program = str(data.get("program", ""))
    start = None
    if "cohort_start" in data:
        try:
            start = date.fromisoformat(str(data["cohort_start"]))
        except ValueError:
            bad(lines["cohort_start"], "cohort_start must be a date, YYYY-MM-DD")
    zone = str(data.get("timezone", "UTC"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        bad(lines.get("timezone", 1), f"unknown time zone {zone!r} (an IANA name: Africa/Lagos)")
    default: tuple[int, ...] = ()
    try:
        default = parse_offsets(str(data.get("default_offsets", "7d,1d,0m")))
    except UserError as error:
        bad(lines.get("default_offsets", 1), f"default_offsets: {error}")
    items = data.get("milestones", [])
    nodes = {str(k.value): v for k, v in root.value}.get("milestones")
    item_nodes = nodes.value if isinstance(nodes, yaml.SequenceNode) else []
    if not isinstance(items, list):
        bad(lines.get("milestones", 1), "milestones must be a list")
        items = []
    elif "milestones" in data and not items:
        bad(lines["milestones"], "milestones is empty")
    milestones: list[TemplateMilestone] = []
    keys: dict[str, int] = {}
    names: dict[str, int] = {}
    for index, item in enumerate(items):
        node = item_nodes[index] if index < len(item_nodes) else None
        at = node.start_mark.line + 1 if node is not None else lines.get("milestones", 1)
        if not isinstance(item, dict):
            bad(at, f"milestone {index + 1} must be a mapping with {', '.join(MILESTONE_KEYS)}")
            continue
        item_lines = _lines(node)
        label = f"milestone {str(item.get('key', index + 1))!r}"
        count = len(problems)
        for key in item:
            if key not in MILESTONE_KEYS:
                bad(item_lines.get(str(key), at), f"{label}: unknown field {key!r}")
        for key in ("key", "name", "day"):
            if key not in item:
                bad(at, f"{label}: missing field {key!r}")
        key, name = str(item.get("key", "")), " ".join(str(item.get("name", "")).split())
        description = " ".join(str(item.get("description", "")).split())
        if "key" in item and key in keys:
            bad(item_lines.get("key", at), f"{label}: key also used at line {keys[key]}")
        keys.setdefault(key, item_lines.get("key", at))
        folded = name.casefold()
        if "name" in item and folded in names:
            bad(item_lines.get("name", at), f"{label}: name also used at line {names[folded]}")
        names.setdefault(folded, item_lines.get("name", at))
        if "name" in item and not 1 <= len(name) <= MAX_NAME:
            bad(item_lines.get("name", at), f"{label}: name must be 1-{MAX_NAME} characters")
        day = item.get("day", 0)
        if isinstance(day, bool) or not isinstance(day, int):
            bad(item_lines.get("day", at), f"{label}: day must be a whole number of days")
            day = 0
        try:
            when = time.fromisoformat(str(item.get("time", "09:00")))
        except ValueError:
            bad(item_lines.get("time", at), f"{label}: time must be HH:MM")
            when = time(9)
        offsets = default
        if "offsets" in item:
            try:
                offsets = parse_offsets(str(item["offsets"]))
            except UserError as error:
                bad(item_lines.get("offsets", at), f"{label}: offsets: {error}")
        if strict:
            for field, value in (("name", name), ("description", description)):
                found = DATE_IN_TEXT.search(value)
                if found:
                    bad(
                        item_lines.get(field, at),
                        f"{label}: the {field} holds a date ({found.group(0)!r}); it is copied "
                        "to every cohort, so give the date as `day` only",
                    )
        if len(problems) == count:
            milestones.append(TemplateMilestone(key, name, day, when, offsets, description))
    if problems or start is None:
        return None, sorted(problems)
    timeline = Timeline(program, start, zone, default, tuple(milestones))
    return timeline, []


def load_timeline(path: Path) -> Timeline:
    """Read and check `timeline.yaml`; raise ValueError naming every problem."""
    timeline, problems = read_timeline(path)
    if timeline is None:
        listed = "; ".join(f"line {line}: {message}" for line, message in problems)
        raise ValueError(f"{path}: invalid timeline: {listed}")
    return timeline


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
