"""The sandbox terminal: typed lines become interactions, replies become readable text."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.repl import Repl, not_heartbeat_lag, parse_command_line
from bot.sandbox.session import Sandbox
from emulator.interactions import UsageError
from tests.helpers import Clock, step

ROOT = Path(__file__).resolve().parents[2]


async def no_input(prompt: str) -> str:
    raise AssertionError(f"unexpected question: {prompt}")


async def test_parse_command_line_understands_options_and_shorthand(sandbox: Sandbox) -> None:
    emulator = sandbox.emulator
    assert parse_command_line(emulator, "/learn query: docker compose") == (
        "learn",
        {"query": "docker compose"},
    )
    assert parse_command_line(emulator, "/learn docker") == ("learn", {"query": "docker"})
    assert parse_command_line(emulator, "/learn query: a query: with colon public: true") == (
        "learn",
        {"query": "a query: with colon", "public": "true"},
    )
    with pytest.raises(UsageError):
        parse_command_line(emulator, "/nope")


async def test_repl_runs_commands_and_clicks_buttons(sandbox: Sandbox) -> None:
    repl = Repl(sandbox, "ada", no_input)
    help_text = await repl.handle("/help")
    assert "/learn" in help_text and "only you" in help_text
    answer = await repl.handle("/learn query: docker")
    assert "Docker" in answer and "[1]" in answer
    more = await repl.handle("1")
    assert "Docker" in more
    assert (await repl.handle(":as grace")) == "You are now grace."
    assert "! " in await repl.handle(":as nobody")


async def test_repl_answers_a_message_with_nexus_and_votes_on_the_reply(sandbox: Sandbox) -> None:
    repl = Repl(sandbox, "ada", no_input)
    assert "which message" in await repl.handle(":answer 1")
    assert await repl.handle(":say how do i stop people spamming my api") == (
        "[1] ada: how do i stop people spamming my api"
    )
    await repl.handle(":as linus")
    offered = await repl.handle(":answer 1")
    assert "1.1 Rate limiting and throttling" in offered
    posted = await repl.handle("1.1")
    assert "Posted **Rate limiting and throttling** as a reply." in posted
    [reply] = [m for m in sandbox.emulator.world.messages.values() if m.referenced]
    rendered = repl.render(reply)
    assert "↪ replying to ada: how do i stop people spamming my api" in rendered
    await repl.handle(":as ada")
    helpful = next(a for a in repl.last[1].actions if a.label == "👍 Helpful")  # type: ignore[index]
    assert "helpful" in await repl.handle(str(helpful.number))


async def test_repl_shows_the_events_a_moderator_adds(sandbox: Sandbox) -> None:
    repl = Repl(sandbox, "grace", no_input)
    assert "No events" in await repl.handle(":events")
    added = await repl.handle("/milestone add name: Demo day due: 2030-01-01 10:00 WAT")
    assert "Added" in added
    assert await repl.handle(":events") == "📅 Demo day — 2030-01-01 09:00 UTC"


async def test_repl_clicks_the_buttons_of_a_dm_the_bot_sends(
    sandbox: Sandbox, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    repl = Repl(sandbox, "ada", no_input)
    sandbox.emulator.add_message_listener(repl.on_bot_post)
    await repl.handle("/reminders subscribe")
    due = clock.now + timedelta(days=2)
    await sandbox.bot.reminders.save_milestone("Demo day", due, (2 * 86400 - 1,))
    await step(sandbox.bots, timedelta(seconds=1))  # the reminder is due a second from now
    dm = sandbox.emulator.world.dm_channel(sandbox.cast.learner)
    await sandbox.emulator.wait_for_message(lambda m: m.channel_id == dm.id, timeout=0)
    assert "[DM to ada]" in capsys.readouterr().out
    assert "Marked **Demo day** done" in await repl.handle("1")


async def test_repl_shows_pairing_follow_up_now(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """`:checkin` and `:notice` bring later pairing posts forward; their buttons click."""
    ada = Repl(sandbox, "ada", no_input)
    linus = Repl(sandbox, "linus", no_input)
    sandbox.emulator.add_message_listener(ada.on_bot_post)
    assert "No groups" in await ada.handle(":checkin")
    await ada.handle("/pair join role: frontend timezone: Africa/Lagos")
    await linus.handle("/pair join role: backend timezone: Africa/Lagos")
    await Repl(sandbox, "grace", no_input).handle("/pairing run")
    await sandbox.emulator.wait_for_message(lambda m: "Partner unresponsive" in str(m.components))
    assert "1 group(s)" in await ada.handle(":checkin")
    assert "How is your collaboration going" in capsys.readouterr().out
    assert "keep going" in await ada.handle("1")  # We're collaborating
    assert "pool was told" in await ada.handle(":notice")
    assert "next pairing round" in capsys.readouterr().out
    assert "sit this round out" in await ada.handle("1")  # Skip this round


async def test_a_button_that_edits_its_message_answers_at_once(sandbox: Sandbox) -> None:
    repl = Repl(sandbox, "ada", no_input)
    listing = await repl.handle("/topics")
    assert repl.last is not None
    message = repl.last[0]
    pages = [
        c["custom_id"]
        for row in message.components
        for c in row["components"]
        if c.get("custom_id", "").startswith("topics:page:") and not c.get("disabled")
    ]
    number = next(
        line.split("]")[0].split("[")[-1]
        for line in listing.splitlines()
        if "[" in line and "Next" in line
    )
    assert pages  # a second page exists
    started = time.monotonic()
    turned = await repl.handle(number)
    assert time.monotonic() - started < 3  # not the 15 s wait for a reply that never comes
    assert turned != listing


async def test_complete_on_fixed_choices_answers_like_discord(sandbox: Sandbox) -> None:
    repl = Repl(sandbox, "ada", no_input)
    assert (await repl.handle(":complete /pair join role: fro")).strip() == "frontend"
    free = await repl.handle(":complete /pair join role: backend project: my")
    assert "offers nothing" in free


async def test_repl_shows_autocomplete(sandbox: Sandbox) -> None:
    repl = Repl(sandbox, "ada", no_input)
    shown = await repl.handle(":complete /learn query: kubern")
    assert "Kubernetes" in shown


def run_sandbox_command(tmp_path: Path, typed: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("NEXUS_", "DISCORD_", "DATABASE_"))
    }
    env.update(PYTHONPATH=str(ROOT), NEXUS_CONTENT_DIR=str(ROOT / "content"))
    return subprocess.run(
        [sys.executable, "-m", "bot", "start"],
        input=typed,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sandbox_command_works_from_a_terminal(tmp_path: Path) -> None:
    result = run_sandbox_command(tmp_path, "/help\n/learn docker\n:quit\n")
    assert result.returncode == 0, result.stderr
    assert "OFFLINE SANDBOX" in result.stderr
    assert "/learn" in result.stdout and "Docker" in result.stdout
    assert "Sandbox closed." in result.stdout


def test_input_ending_inside_a_form_closes_the_sandbox_cleanly(tmp_path: Path) -> None:
    result = run_sandbox_command(tmp_path, ":as grace\n/content add\nA title\n")
    assert result.returncode == 0, result.stderr
    assert "the form was not sent" in result.stdout and "Sandbox closed." in result.stdout


def test_a_scripted_session_runs_from_a_file_and_exits_0(tmp_path: Path) -> None:
    script = tmp_path / "demo.txt"
    script.write_text("/learn docker\n:complete /pair join role: b\n", encoding="utf-8")
    for how in (["--script", str(script)], None):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("NEXUS_", "DISCORD_", "DATABASE_"))
        }
        env.update(PYTHONPATH=str(ROOT), NEXUS_CONTENT_DIR=str(ROOT / "content"))
        with script.open(encoding="utf-8") as stdin:
            result = subprocess.run(
                [sys.executable, "-m", "bot", "sandbox", *(how or [])],
                stdin=subprocess.DEVNULL if how else stdin,  # `sandbox < FILE` too
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        assert result.returncode == 0, result.stderr
        assert "> /learn docker" in result.stdout and "Docker" in result.stdout
        assert "  backend" in result.stdout and "Sandbox closed." in result.stdout
        assert "Traceback" not in result.stderr


def test_the_sandbox_keeps_its_members_across_restarts(tmp_path: Path) -> None:
    """data/sandbox.db outlives a run: ada is still in the pool the next time."""
    joined = run_sandbox_command(
        tmp_path, "/pair join role: frontend timezone: Africa/Lagos\n:quit\n"
    )
    assert joined.returncode == 0, joined.stderr
    again = run_sandbox_command(tmp_path, "/pair status\n:quit\n")
    assert again.returncode == 0, again.stderr
    assert "frontend" in again.stdout and "Africa/Lagos" in again.stdout
    assert "haven't joined" not in again.stdout and "Unknown User" not in again.stdout


def test_the_heartbeat_lag_warning_stays_off_the_prompt() -> None:
    lag = logging.LogRecord(
        "discord.gateway",
        logging.WARNING,
        "",
        0,
        "Can't keep up, shard ID %s websocket is %.1fs behind.",
        (None, 41.3),
        None,
    )
    other = logging.LogRecord("discord.gateway", logging.WARNING, "", 0, "something else", (), None)
    assert not not_heartbeat_lag(lag) and not_heartbeat_lag(other)


async def test_form_fields_are_checked_as_they_are_typed(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = iter(
        [
            "",  # Title: required
            "Rate limiting for webhooks",
            "a-category-name-far-too-long",  # Category: at most 20 characters
            "concept",
            "",  # Aliases (optional)
            "Limit how often a client may call.",
            ".",
            "Why and how.",
            ".",
        ]
    )

    async def answer(_prompt: str) -> str:
        return next(typed)

    repl = Repl(sandbox, "grace", answer)
    saved = await repl.handle("/content add")
    out = capsys.readouterr().out
    assert "! Title is required" in out
    assert "! Category takes at most 20 characters" in out
    assert "Saved as version 1" in saved
