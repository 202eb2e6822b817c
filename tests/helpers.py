"""Small things several test modules share."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.knowledge.entry import Entry
from bot.knowledge.files import dump_entry
from bot.reminders.service import SWEEP_SECONDS

if TYPE_CHECKING:
    from bot.app import NexusBot
    from emulator.server import DiscordEmulator

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


class Clock:
    """A clock the test moves by hand (services take `clock=`)."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


async def step(bots: Sequence[NexusBot], by: timedelta = timedelta(0)) -> None:
    """Move the bots' clock (one `Clock` they share) on by `by`, then run the background work
    due on every bot at once, as replicas would, and wait until it is done: what falls due
    meanwhile included. With no `by`, only what is due already (work asked for "now")."""
    clock = bots[0].jobs.clock
    assert isinstance(clock, Clock), "start the bots with clock=Clock(...)"
    assert all(bot.jobs.clock is clock for bot in bots)
    clock.now += by
    await asyncio.gather(*(bot.jobs.settle() for bot in bots))


A_SWEEP = timedelta(seconds=SWEEP_SECONDS)
"""A step of the clock after which every bot has swept its reminders once more."""


def bot_posts(emulator: DiscordEmulator, channel_id: int, text: str) -> int:
    """How many of the bot's own posts (not replies to commands) in a channel hold `text`."""
    return sum(
        m.interaction_id is None and text in m.content
        for m in emulator.world.channel_messages(channel_id)
    )


def make_entry(slug: str, title: str, category: str = "concept", **fields: Any) -> Entry:
    """The one way tests make an entry: a valid one, with any field given as a keyword."""
    values: dict[str, Any] = {
        "aliases": (),
        "tags": (),
        "summary": f"About {title}.",
        "related": (),
        "sources": ("seed-000",),
        "body": f"About {title}.",
        **fields,
    }
    return Entry(slug=slug, title=title, category=category, **values)


DOCKER = make_entry(
    "docker",
    "Docker",
    "technology",
    aliases=("containers",),
    tags=("devops",),
    summary="Containers for consistent environments.",
    body="About Docker.",
)


def write_entry(root: Path, entry: Entry) -> None:
    """Write `entry` as its content file under `root`."""
    folder = root / entry.category
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{entry.slug}.md").write_text(dump_entry(entry), encoding="utf-8")


def write_file(root: Path, category: str, slug: str, text: str) -> Path:
    """Write an entry file's raw `text` as `root/category/slug.md`."""
    folder = root / category
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.md"
    path.write_text(text, encoding="utf-8")
    return path
