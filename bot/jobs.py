"""The bot's one runtime for background work.

Services add jobs under keys ("reminders:sweep", "reminders:reminder-7"); APScheduler's
triggers say when each is due, read against an injected clock, so tests step time by hand and
call `run_due()` or `settle()` instead of sleeping until a due time. Every running job is tracked: a
service's `stop()` waits for its own jobs (an extension reload), and the bot's `stop()` waits
for all of them before the database closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.db.models import utcnow

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]

MAX_NAP = 30.0
"""Seconds the runner sleeps at most between looks at the clock (it may be moved)."""
_AFTER = timedelta(microseconds=1)  # "strictly after" for triggers that round up to `now`


@dataclass(eq=False)
class _Scheduled:
    key: str
    trigger: BaseTrigger
    run: Job
    due: datetime


class Jobs:
    """Keyed jobs on triggers, run on the event loop; what runs is waited for on stop."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock
        self._scheduled: dict[str, _Scheduled] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ adding jobs
    def add(self, key: str, trigger: BaseTrigger, run: Job) -> None:
        """Run `run` whenever `trigger` fires (replacing any job under `key`)."""
        due = trigger.get_next_fire_time(None, self.clock())
        if due is None:
            self._scheduled.pop(key, None)
            return
        self._scheduled[key] = _Scheduled(key, trigger, run, due)
        self._wake.set()

    def at(self, key: str, when: datetime, run: Job) -> None:
        """Run `run` once at `when` (at once if that has passed)."""
        self.add(key, DateTrigger(run_date=when, timezone=UTC), run)

    def every(self, key: str, seconds: float, run: Job) -> None:
        """Run `run` every `seconds`, the first time `seconds` from now."""
        start = self.clock() + timedelta(seconds=seconds)
        self.add(key, IntervalTrigger(seconds=seconds, start_date=start, timezone=UTC), run)

    def cancel(self, key: str) -> None:
        """Forget the job under `key` (a run in progress finishes)."""
        self._scheduled.pop(key, None)

    def due_at(self, key: str) -> datetime | None:
        """When the job under `key` runs next, if it is scheduled."""
        scheduled = self._scheduled.get(key)
        return scheduled.due if scheduled else None

    # ------------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        """Whether the runner watches the clock (between `start` and `stop`)."""
        return self._loop is not None and not self._loop.done()

    def start(self) -> None:
        """Run jobs as they fall due, until `stop`."""
        if not self.running:
            self._loop = asyncio.create_task(self._watch_clock(), name="jobs")

    async def run_due(self) -> int:
        """Start every job due now and wait for them; the number started. Tests call this
        after moving the clock."""
        started = self._start_due()
        if started:
            await asyncio.wait(started)
        return len(started)

    async def settle(self, prefix: str = "") -> None:
        """Start the jobs due now and wait until no job whose key starts with `prefix` runs,
        whoever started it (this, or the runner watching the clock) and whatever falls due
        meanwhile. Tests call this after moving the clock; the sandbox, to show what a
        command asked to happen now."""
        while True:
            self._start_due()
            running = [task for key, task in self._running.items() if key.startswith(prefix)]
            if not running:
                return
            await asyncio.wait(running)

    async def stop(self, timeout: float) -> None:
        """Stop running jobs: forget them all, let those in progress finish (up to `timeout`
        seconds), then cancel what is left."""
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.wait([self._loop])
            self._loop = None
        await self.stop_group("", timeout)

    async def stop_group(self, prefix: str, timeout: float) -> None:
        """Forget the jobs whose key starts with `prefix` and wait (up to `timeout` seconds)
        for those of them in progress; cancel what is still running then."""
        for key in [key for key in self._scheduled if key.startswith(prefix)]:
            del self._scheduled[key]
        current = asyncio.current_task()
        pending = {
            task
            for key, task in self._running.items()
            if key.startswith(prefix) and task is not current
        }
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            log.warning("cancelling background job %s still running at stop", task.get_name())
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1)

    def in_progress(self, prefix: str = "") -> int:
        """How many jobs whose key starts with `prefix` are running now."""
        return sum(1 for key in self._running if key.startswith(prefix))

    def _start_due(self) -> list[asyncio.Task[None]]:
        now = self.clock()
        due = sorted(
            (s for s in self._scheduled.values() if s.due <= now and s.key not in self._running),
            key=lambda s: s.due,
        )
        started = []
        for scheduled in due:
            following = scheduled.trigger.get_next_fire_time(scheduled.due, now + _AFTER)
            while following is not None and following <= now:  # missed runs: run once
                following = scheduled.trigger.get_next_fire_time(following, now + _AFTER)
            if following is None:
                del self._scheduled[scheduled.key]
            else:
                scheduled.due = following
            task = asyncio.create_task(self._run(scheduled), name=scheduled.key)
            self._running[scheduled.key] = task
            started.append(task)
        return started

    async def _run(self, scheduled: _Scheduled) -> None:
        try:
            await scheduled.run()
        except Exception:
            log.exception("background job %s failed", scheduled.key)
        finally:
            if self._running.get(scheduled.key) is asyncio.current_task():
                del self._running[scheduled.key]
            self._wake.set()  # a job due meanwhile under the same key may start now

    async def _watch_clock(self) -> None:
        while True:
            self._wake.clear()
            self._start_due()
            nap = MAX_NAP
            waiting = [s.due for s in self._scheduled.values() if s.key not in self._running]
            if waiting:
                nap = min(nap, max((min(waiting) - self.clock()).total_seconds(), 0.0))
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the stop's
            # cancellation when the wake-up comes at the same moment, and stop() then hangs
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(nap):
                    await self._wake.wait()
