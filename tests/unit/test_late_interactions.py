"""Overload: an interaction that waited too long is dropped before any work, with one log
line and no send; how long it waited is judged without trusting this host's clock."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.sandbox.session import Sandbox
from bot.waits import Waits

CLOCK_OFF = 12_345.6  # this host's clock against Discord's: any value, unknown to the bot


def about(seconds: float) -> object:
    """`seconds`, to the resolution of Unix times held in floats."""
    return pytest.approx(seconds, abs=1e-6)


class Host:
    """A host clock (monotonic, off from Discord's by CLOCK_OFF) that the test moves."""

    def __init__(self) -> None:
        self.discord_time = 1_700_000_000.0
        self.off = CLOCK_OFF

    def __call__(self) -> float:
        return self.discord_time + self.off

    def deliver(self, waits: Waits, delay: float) -> float:
        """An interaction created now reaches the bot `delay` seconds later: its wait."""
        created = self.discord_time
        self.discord_time += delay
        return waits.waited(created)


def test_a_wait_is_how_much_later_than_the_quickest_delivery_it_came() -> None:
    host = Host()
    waits = Waits(host, window=300)
    assert host.deliver(waits, 0.05) == about(0)
    assert host.deliver(waits, 2.55) == about(2.5)
    assert host.deliver(waits, 0.02) == about(0)  # a quicker one lowers the floor
    assert host.deliver(waits, 0.05) == about(0.03)


def test_waits_are_never_overstated_whatever_the_order_of_deliveries() -> None:
    host = Host()
    waits = Waits(host, window=300)
    delays = [0.3, 1.0, 0.1, 2.0, 0.05, 4.0, 0.5]
    for delay in delays:
        assert host.deliver(waits, delay) <= delay - 0.05 + 1e-6


def test_the_floor_follows_a_drifting_clock_within_two_windows() -> None:
    host = Host()
    waits = Waits(host, window=300)
    host.deliver(waits, 0.05)
    host.off += 1.0  # the host's clock gains a second
    host.discord_time += 10
    assert host.deliver(waits, 0.05) == about(1.0)  # for now, seen as a wait
    for _ in range(2):
        host.discord_time += 300
        host.deliver(waits, 0.05)
    assert host.deliver(waits, 0.05) == about(0)
    host.discord_time += 3600  # idle for an hour: the old floors are forgotten
    assert host.deliver(waits, 0.7) == about(0)


async def test_an_interaction_that_waited_too_long_is_dropped_with_one_log_line_and_no_send(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, bot = sandbox.emulator, sandbox.bot
    monkeypatch.setattr("bot.app.DROP_AFTER_SECONDS", -1.0)  # every wait is too long
    with caplog.at_level(logging.INFO):
        record = await emulator.slash(sandbox.cast.learner, "learn", query="docker")
        for _ in range(100):  # until the bot has dropped it
            if caplog.records:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == [
        "/learn dropped unanswered: it waited 0.0 s"
    ]
    assert caplog.records[0].exc_info is None
    assert record.response_type is None and record.rejected == []  # nothing was sent
    assert not [path for _, path, _ in emulator.request_log if str(record.id) in path]
    late = {"command": "learn", "outcome": "late"}
    assert bot.metrics.registry.get_sample_value("nexus_interactions_total", late) == 1
    assert not bot.in_flight

    monkeypatch.undo()  # a bot that keeps up answers as before
    answered = await emulator.slash(sandbox.cast.learner, "learn", query="docker")
    await answered.wait_message()
