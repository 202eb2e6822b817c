"""Live data beats static text: /learn on an entry about deadlines shows the milestones in the
database, and a new cohort's preview shows that cohort's dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.knowledge.deadlines import TITLE
from bot.reminders.timeline import DATE_IN_TEXT, plan_cohort
from bot.sandbox.session import Sandbox
from emulator.world import Message


def deadlines_field(message: Message) -> dict[str, Any] | None:
    fields = message.embeds[0].get("fields", []) if message.embeds else []
    return next((f for f in fields if f["name"] == TITLE), None)


def stamps(moment: datetime) -> tuple[str, str]:
    unix = int(moment.timestamp())
    return f"<t:{unix}:F>", f"<t:{unix}:R>"


async def test_learn_shows_the_milestone_a_moderator_added(sandbox: Sandbox) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)
    added = await emulator.run(
        cast.moderator,
        "milestone add",
        name="Project Nexus submission deadline",
        due=due.isoformat(),
        offsets="1d",
    )
    assert "Added" in added.content
    message = await emulator.run(cast.learner, "learn", query="project-nexus-submission")
    assert message.embeds[0]["title"] == sandbox.bot.knowledge.get("project-nexus-submission").title
    field = deadlines_field(message)
    assert field is not None, message.embeds[0].get("fields")
    assert message.embeds[0]["fields"][0] == field  # right under the entry's text
    full, relative = stamps(due)
    assert "Project Nexus submission deadline" in field["value"]
    assert full in field["value"] and relative in field["value"]
    assert "/deadlines" in field["value"]


async def test_learn_shows_at_most_three_soonest_and_escapes_names(sandbox: Sandbox) -> None:
    now = datetime.now(UTC)
    reminders = sandbox.bot.reminders
    await reminders.save_milestone("Already past", now - timedelta(days=1), (0,))
    for days, name in ((9, "Fourth"), (2, "**First** @everyone"), (5, "Third"), (3, "Second")):
        await reminders.save_milestone(name, now + timedelta(days=days), (0,))
    message = await sandbox.emulator.run(sandbox.cast.learner, "learn", query="program-timeline")
    field = deadlines_field(message)
    assert field is not None
    lines = field["value"].splitlines()
    assert len(lines) == 4 and "/deadlines" in lines[-1]
    assert "\\*\\*First\\*\\*" in lines[0] and "Second" in lines[1] and "Third" in lines[2]
    assert "Fourth" not in field["value"] and "Already past" not in field["value"]
    assert not message.mention_everyone


async def test_without_upcoming_milestones_learn_says_so(sandbox: Sandbox) -> None:
    message = await sandbox.emulator.run(
        sandbox.cast.learner, "learn", query="project-review-period"
    )
    field = deadlines_field(message)
    assert field is not None
    assert "No upcoming deadline" in field["value"] and "/deadlines" in field["value"]


async def test_other_entries_have_no_deadlines(sandbox: Sandbox) -> None:
    await sandbox.bot.reminders.save_milestone("Soon", datetime.now(UTC) + timedelta(days=1), (0,))
    message = await sandbox.emulator.run(sandbox.cast.learner, "learn", query="docker")
    assert deadlines_field(message) is None


async def test_cohort_preview_shows_that_cohorts_dates_and_learn_shows_them_once_created(
    sandbox: Sandbox,
) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    start = date.today() + timedelta(days=30)
    timeline = sandbox.bot.reminders.timeline
    assert timeline is not None
    planned = plan_cohort(timeline, start)
    preview = await emulator.run(cast.moderator, "milestone cohort start", start=start.isoformat())
    embed = preview.embeds[0]
    assert start.isoformat() in embed["title"]
    lines = embed["description"].splitlines()
    assert len(lines) == len(planned)
    for line, milestone in zip(lines, planned, strict=True):
        assert milestone.due_at.date() >= start
        assert stamps(milestone.due_at)[0] in line, line
        text = line.split(" — ")[0]  # the name, without the computed date
        assert DATE_IN_TEXT.findall(text.replace(start.isoformat(), "")) == [], line
    done = await (
        await emulator.click(cast.moderator, preview, "Create these milestones")
    ).wait_message()
    assert f"Created {len(planned)} milestones" in done.content
    message = await emulator.run(cast.learner, "learn", query="project-nexus-timeline")
    field = deadlines_field(message)
    assert field is not None
    first = planned[0]
    assert field["value"].splitlines()[0].startswith(f"**{first.name}")
    assert stamps(first.due_at)[0] in field["value"]
    assert len(field["value"].splitlines()) == 4
