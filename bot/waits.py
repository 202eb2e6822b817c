"""How long an interaction has waited since Discord created it, whatever this host's clock says.

Discord stamps every interaction with its creation time (in its snowflake id), and gives the
bot 3 seconds from then to answer. This host's clock may be off from Discord's by any amount,
so the creation time is compared with the lowest (local time - creation time) seen lately:
that floor is the clock offset plus the quickest delivery, and an interaction has waited by as
much as it came later than that. A wait is therefore never overstated (at worst it leaves out
the few milliseconds of the quickest delivery), and `time.monotonic` keeps a clock step from
faking one. The floor is the lowest of this window and the last, so it follows a drifting clock.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
_late: set[asyncio.Future[Any]] = set()  # work that ran late, kept until done (tasks are weak)

WINDOW_SECONDS = 300.0


class Waits:
    """Estimates how long interactions have waited (see the module's docstring)."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, window: float = WINDOW_SECONDS
    ) -> None:
        self.clock = clock
        self.window = window
        self.floors = [math.inf, math.inf]  # the lowest offset in the last window and this one
        self.window_ends = clock() + window

    def waited(self, created: float) -> float:
        """Seconds an interaction Discord created at `created` (Unix time, Discord's clock)
        has waited longer than the quickest delivery seen lately."""
        now = self.clock()
        if now >= self.window_ends:
            last = self.floors[1] if now < self.window_ends + self.window else math.inf
            self.floors = [last, math.inf]
            self.window_ends = now + self.window
        offset = now - created
        self.floors[1] = min(self.floors[1], offset)
        return offset - min(self.floors)


async def within(work: Awaitable[T], seconds: float) -> T:
    """`work`'s result, or `TimeoutError` after `seconds`. Late work is left to finish, not
    cancelled inside a database driver; its outcome is dropped (nobody waits for it)."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.wait_for(asyncio.shield(task), max(seconds, 0.0))
    except TimeoutError:
        _late.add(task)
        task.add_done_callback(_forget)
        raise


def _forget(task: asyncio.Future[Any]) -> None:
    _late.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: not logged as "never retrieved"
