"""/healthz, /metrics and the calendar feeds of a running bot; JSON logs without secrets."""

from __future__ import annotations

import json
import logging
import socket
from datetime import UTC, date, datetime

import aiohttp
import pytest
from icalendar import Calendar

from bot.app import NexusBot
from bot.config import Settings
from bot.runner import configure_logging
from bot.sandbox.session import running_sandbox


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_healthz_and_metrics(settings: Settings) -> None:
    port = free_port()
    settings = settings.model_copy(update={"http_port": port})
    async with (
        running_sandbox(settings, guild_ready_timeout=0.05) as sandbox,
        aiohttp.ClientSession() as http,
    ):
        await sandbox.emulator.run(sandbox.cast.learner, "help")
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            health = await response.json()
            assert response.status == 200
        assert health == {
            "gateway_connected": True,
            "database_reachable": True,
            "scheduler_running": True,
            "status": "ok",
        }
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            text = await response.text()
        assert 'nexus_interactions_total{command="help",outcome="ok"} 1.0' in text
        assert 'nexus_interaction_seconds_bucket{command="help",le="0.25"} 1.0' in text
        assert "nexus_reminders_total" in text and "nexus_pairing_rounds_total" in text
        # Every command is counted from zero, before its first use.
        assert 'nexus_interactions_total{command="pairing run",outcome="ok"} 0.0' in text
        assert 'nexus_interactions_total{command="learn",outcome="error"} 0.0' in text
        # Buttons count too.
        answer = await sandbox.emulator.run(sandbox.cast.learner, "learn", query="docker")
        await (
            await sandbox.emulator.click(sandbox.cast.learner, answer, "Read more")
        ).wait_message()
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            text = await response.text()
        assert 'nexus_interactions_total{command="component:learn:more",outcome="ok"} 1.0' in text
        # The knowledge base's feedback loop: answers by kind, votes, gaps.
        assert 'nexus_learn_answers_total{kind="answer"} 1.0' in text
        assert 'nexus_learn_answers_total{kind="opened"} 1.0' in text
        assert 'nexus_learn_votes_total{vote="not_helpful"} 0.0' in text
        await sandbox.emulator.run(sandbox.cast.learner, "learn", query="banana spaceship")
        asked = await sandbox.emulator.run(sandbox.cast.learner, "learn", query="ship my app")
        await (
            await sandbox.emulator.click(sandbox.cast.learner, asked, "👎 Not helpful")
        ).wait_message()
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            text = await response.text()
        assert 'nexus_learn_answers_total{kind="nothing"} 1.0' in text
        assert 'nexus_learn_answers_total{kind="answer"} 2.0' in text
        assert 'nexus_learn_votes_total{vote="not_helpful"} 1.0' in text
        assert "nexus_knowledge_gaps_total 2.0" in text


async def test_health_reports_a_dropped_gateway(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    settings = settings.model_copy(update={"http_port": port})
    async with running_sandbox(settings, guild_ready_timeout=0.05), aiohttp.ClientSession() as http:
        monkeypatch.setattr(NexusBot, "gateway_connected", property(lambda _self: False))
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 503
            assert (await response.json())["status"] == "degraded"


def test_json_logs_never_contain_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json_format=True, secrets=("super-secret-token",))
    logging.getLogger("bot.test").info("connecting with %s", "super-secret-token")
    logging.getLogger("bot.test").warning("plain %s", "message")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["message"] == "connecting with [redacted]"
    assert lines[1]["level"] == "WARNING" and lines[1]["logger"] == "bot.test"
    configure_logging("INFO")


async def test_calendar_feeds_serve_every_milestone_and_each_cohort(settings: Settings) -> None:
    """`/calendar.ics` is every milestone; `/calendar/<cohort>.ics` one cohort's; a calendar
    app can read both."""
    port = free_port()
    settings = settings.model_copy(update={"http_port": port})
    async with (
        running_sandbox(settings, guild_ready_timeout=0.05) as sandbox,
        aiohttp.ClientSession() as http,
    ):
        reminders = sandbox.bot.reminders
        await reminders.save_milestone("Kick-off", datetime(2030, 1, 1, 9, tzinfo=UTC), (0,))
        cohort = await reminders.create_cohort(date(2030, 2, 3))
        base = f"http://127.0.0.1:{port}"
        async with http.get(f"{base}/calendar.ics") as response:
            assert response.status == 200
            assert response.content_type == "text/calendar"
            everything = Calendar.from_ical(await response.read())
        async with http.get(f"{base}/calendar/2030-02-03.ics") as response:
            one_cohort = Calendar.from_ical(await response.read())
        async with http.get(f"{base}/calendar/1999-01-01.ics") as response:
            assert response.status == 404
    assert len(everything.walk("VEVENT")) == len(cohort) + 1
    names = sorted(str(event["SUMMARY"]) for event in one_cohort.walk("VEVENT"))
    assert names == sorted(info.name for info in cohort) and "Kick-off" not in names
