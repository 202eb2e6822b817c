"""Reminder accuracy: 200 reminders due within one minute; how late does each post?

    python bench/reminders_bench.py [--count 200] [--window 60]

Baseline in the same run: plain `loop.call_at` timers for the same due times (the floor the
event loop itself gives). Lateness is measured from the due time to the moment the poster is
called (the database claim included; Discord's round trip excluded).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.db import Database
from bot.db.migrate import upgrade
from bot.db.models import Delivery, ReminderRow
from bot.reminders.service import ReminderService

CHANNEL_ID = 1


class RecordingPoster:
    """Notes when each reminder was posted."""

    def __init__(self) -> None:
        self.posted: dict[str, float] = {}
        self.texts: dict[str, str] = {}
        self.calls = 0

    async def post(self, channel_id: int, content: str, nonce: str) -> int:
        self.calls += 1
        self.posted.setdefault(nonce, time.time())
        self.texts[nonce] = content
        return self.calls

    async def find_since(
        self, channel_id: int, content: str, since: datetime, exclude: frozenset[int]
    ) -> int | None:
        return None

    async def direct(
        self, user_id: int, content: str, nonce: str, reminder_id: int | None = None
    ) -> bool:
        return True

    async def alert(self, text: str) -> None:
        raise AssertionError(text)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(count: int, window: float) -> None:
    folder = Path(tempfile.mkdtemp())
    database = Database(f"sqlite+aiosqlite:///{folder}/bench.db")
    await upgrade(database)
    poster = RecordingPoster()
    service = ReminderService(
        database, channel_id=CHANNEL_ID, grace=timedelta(hours=6), default_offsets=(0,)
    )
    await service.start(poster)
    start = time.time() + 5
    dues = {}
    for i in range(count):
        due = start + window * i / count
        await service.save_milestone(f"Milestone {i}", datetime.fromtimestamp(due, UTC), (0,))
        dues[i] = due

    loop = asyncio.get_running_loop()
    baseline: list[float] = []
    for due in dues.values():
        loop.call_at(
            loop.time() + (due - time.time()), lambda d=due: baseline.append(time.time() - d)
        )
    await asyncio.sleep(start + window - time.time() + 3)
    await service.stop()
    await database.dispose()

    check = Database(f"sqlite+aiosqlite:///{folder}/bench.db")
    async with check.session() as session:
        rows = (await session.exec(select(ReminderRow))).all()
    await check.dispose()
    by_name = {f"**Milestone {number}**": number for number in range(count)}
    lateness = [
        at - dues[by_name[name]]
        for nonce, at in poster.posted.items()
        for name in re.findall(r"\*\*Milestone \d+\*\*", poster.texts[nonce])
    ]
    print(
        f"reminders: {count} due within {window:.0f} s, posted {len(lateness)} "
        f"({sum(r.status == Delivery.SENT for r in rows)} recorded sent), "
        f"doubled {poster.calls - len(poster.posted)}"
    )
    for name, values in (("bot", lateness), ("call_at baseline", baseline)):
        print(
            f"  {name:<17} lateness p50 {statistics.median(values) * 1000:7.1f} ms   "
            f"p99 {percentile(values, 99) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms"
        )
    ratio = percentile(lateness, 99) / max(percentile(baseline, 99), 1e-6)
    print(f"  ratio p99 bot / baseline: {ratio:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--window", type=float, default=60)
    args = parser.parse_args()
    asyncio.run(main(args.count, args.window))
