"""The bot's runtime for background work: due on an injected clock, tracked until stopped."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.jobs import Job, Jobs
from tests.helpers import NOW, Clock


class Recorder:
    def __init__(self) -> None:
        self.runs: list[str] = []

    def job(self, name: str) -> Job:
        async def run() -> None:
            self.runs.append(name)

        return run


async def test_one_off_job_runs_once_when_its_time_comes() -> None:
    clock, calls = Clock(), Recorder()
    jobs = Jobs(clock)
    jobs.at("a", NOW + timedelta(minutes=5), calls.job("a"))
    assert await jobs.run_due() == 0
    clock.now += timedelta(minutes=5)
    assert await jobs.run_due() == 1 and await jobs.run_due() == 0
    assert calls.runs == ["a"] and jobs.due_at("a") is None


async def test_a_past_time_runs_at_once_and_a_replaced_job_runs_once() -> None:
    clock, calls = Clock(), Recorder()
    jobs = Jobs(clock)
    jobs.at("a", NOW - timedelta(days=1), calls.job("old"))
    jobs.at("a", NOW + timedelta(hours=1), calls.job("new"))
    clock.now += timedelta(hours=2)
    await jobs.run_due()
    assert calls.runs == ["new"]


async def test_repeating_job_catches_up_once_after_missed_runs() -> None:
    clock, calls = Clock(), Recorder()
    jobs = Jobs(clock)
    jobs.every("tick", 60, calls.job("tick"))
    clock.now += timedelta(seconds=59)
    await jobs.run_due()
    assert calls.runs == []
    clock.now += timedelta(hours=1)  # 60 runs missed (a suspended machine): one run now
    await jobs.run_due()
    assert calls.runs == ["tick"]  # and the next run keeps to the minute grid
    assert jobs.due_at("tick") == NOW + timedelta(minutes=61)


async def test_weekly_cron_job_runs_each_week_on_the_stepped_clock() -> None:
    clock, calls = Clock(), Recorder()  # NOW is a Monday 12:00 UTC
    jobs = Jobs(clock)
    jobs.add("round", CronTrigger(day_of_week=0, hour=12, minute=0, timezone="UTC"), calls.job("r"))
    assert await jobs.run_due() == 1  # due right now
    assert await jobs.run_due() == 0 and jobs.due_at("round") == NOW + timedelta(days=7)
    clock.now += timedelta(days=7)
    assert await jobs.run_due() == 1 and calls.runs == ["r", "r"]


async def test_a_job_never_overlaps_itself_and_a_rescheduled_run_waits_its_turn() -> None:
    """A reminder that fails reschedules itself while it still runs: the new run starts
    after the first one ends, never beside it."""
    clock = Clock()
    jobs = Jobs(clock)
    release, waiting = asyncio.Event(), asyncio.Event()
    active: list[int] = []
    overlaps = 0

    async def deliver() -> None:
        nonlocal overlaps
        overlaps += bool(active)
        active.append(1)
        if len(active) == 1 and not release.is_set():
            jobs.at("r", clock.now, deliver)  # retry "now"
            waiting.set()
            await release.wait()
        active.pop()

    jobs.at("r", NOW, deliver)
    first = asyncio.create_task(jobs.run_due())
    await asyncio.wait_for(waiting.wait(), 5)
    assert await jobs.run_due() == 0  # the retry is due but its key still runs
    release.set()
    await first
    assert await jobs.run_due() == 1 and overlaps == 0


async def test_a_failing_job_is_logged_and_the_others_keep_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, calls = Clock(), Recorder()
    jobs = Jobs(clock)

    async def broken() -> None:
        raise RuntimeError("boom")

    jobs.every("broken", 10, broken)
    jobs.every("fine", 10, calls.job("fine"))
    clock.now += timedelta(seconds=10)
    assert await jobs.run_due() == 2
    assert calls.runs == ["fine"] and "background job broken failed" in caplog.text
    clock.now += timedelta(seconds=10)
    assert await jobs.run_due() == 2


async def test_stopping_a_group_waits_for_its_running_jobs_and_keeps_the_others() -> None:
    clock, calls = Clock(), Recorder()
    jobs = Jobs(clock)
    finished: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(0.05)
        finished.append("slow")

    jobs.at("reminders:slow", NOW, slow)
    jobs.every("reminders:sweep", 30, calls.job("sweep"))
    jobs.every("pairing:sweep", 30, calls.job("pairing"))
    running = asyncio.create_task(jobs.run_due())
    await asyncio.sleep(0)
    await jobs.stop_group("reminders:", timeout=5)
    assert finished == ["slow"] and jobs.in_progress("reminders:") == 0
    assert jobs.due_at("reminders:sweep") is None and jobs.due_at("pairing:sweep") is not None
    await running


async def test_stop_cancels_what_outlives_the_timeout() -> None:
    jobs = Jobs(Clock())
    cancelled = asyncio.Event()

    async def stuck() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    jobs.at("stuck", NOW, stuck)
    jobs.start()
    await asyncio.sleep(0.01)
    assert jobs.in_progress() == 1
    await jobs.stop(timeout=0.05)
    assert cancelled.is_set() and jobs.in_progress() == 0 and not jobs.running


async def test_the_running_runtime_starts_jobs_as_they_fall_due() -> None:
    """Started, the runtime watches the real clock: a job added for now runs without
    anyone stepping it."""
    jobs = Jobs()
    done = asyncio.Event()

    async def job() -> None:
        done.set()

    jobs.start()
    try:
        jobs.at("soon", jobs.clock(), job)
        await asyncio.wait_for(done.wait(), 5)
    finally:
        await jobs.stop(timeout=1)


async def test_the_running_runtime_runs_a_job_at_its_time_not_before() -> None:
    """On the real clock a job due shortly runs once its time has come, never earlier (the
    end-to-end tests step a clock instead; bench/reminders_bench.py measures how late)."""
    jobs = Jobs()
    ran: list[datetime] = []
    done = asyncio.Event()

    async def job() -> None:
        ran.append(jobs.clock())
        done.set()

    due = jobs.clock() + timedelta(seconds=0.3)
    jobs.start()
    try:
        jobs.at("soon", due, job)
        await asyncio.wait_for(done.wait(), 5)
    finally:
        await jobs.stop(timeout=1)
    assert ran[0] >= due


async def test_settle_waits_for_what_the_runtime_started_and_what_falls_due_meanwhile() -> None:
    """Once the clock moves, the running runtime may start a due job before the test asks:
    settle waits for it all the same (run_due would find nothing to start), and for the job
    it adds for now."""
    clock, calls = Clock(), Recorder()
    jobs = Jobs(clock)

    async def first() -> None:
        await asyncio.sleep(0.05)
        calls.runs.append("first")
        jobs.at("second", clock.now, calls.job("second"))

    jobs.at("first", NOW + timedelta(minutes=1), first)
    jobs.start()
    try:
        clock.now += timedelta(minutes=1)
        jobs.at("later", NOW + timedelta(days=1), calls.job("later"))  # wakes the runtime
        await asyncio.sleep(0.01)
        assert jobs.in_progress("first") == 1 and await jobs.run_due() == 0
        await jobs.settle()
        assert calls.runs == ["first", "second"] and jobs.in_progress() == 0
    finally:
        await jobs.stop(timeout=1)


async def test_stop_returns_when_a_job_ends_at_the_same_moment() -> None:
    """A job ending wakes the runtime just as stop() cancels it: the stop must not be lost
    (asyncio.wait_for on Python 3.11 swallowed it, and shutdown hung)."""
    for _ in range(20):
        jobs = Jobs(Clock())
        jobs.start()
        await asyncio.sleep(0.01)  # the runtime naps, waiting for a wake-up
        jobs._wake.set()  # a job has just ended
        await asyncio.wait_for(jobs.stop(timeout=1), 2)
        assert not jobs.running
