"""Background jobs that stop cleanly: what a scheduler started is waited for on stop."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class InFlight:
    """The job coroutines running now, so that a service can wait for them before the
    database closes under them (APScheduler's shutdown cancels or abandons them)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def track(self, job: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        """`job`, registering the task that runs it for as long as it runs."""

        @functools.wraps(job)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                return await job(*args, **kwargs)
            finally:
                self._tasks.discard(task)  # type: ignore[arg-type]

        return run

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the running jobs; cancel what is still running."""
        current = asyncio.current_task()
        pending = {task for task in self._tasks if task is not current}
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            log.warning("cancelling a background job still running at shutdown: %s", task)
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1)


async def stop_scheduler(scheduler: AsyncIOScheduler, jobs: InFlight, timeout: float) -> None:
    """Stop `scheduler` taking new work, let its `jobs` in flight finish (up to `timeout`
    seconds), then shut it down, so that it can be started again (an extension reload)."""
    if not scheduler.running:
        return
    scheduler.pause()
    await jobs.drain(timeout)
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
