"""Run the real bot against the emulator: used by `python -m bot sandbox` and the tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from bot.app import NexusBot
from bot.config import Settings
from bot.runner import create_bot, serve
from bot.sandbox.cast import Cast, build_cast
from emulator.server import DiscordEmulator


@dataclass
class Sandbox:
    """A running emulator with the bot logged in to it."""

    emulator: DiscordEmulator
    cast: Cast
    bot: NexusBot
    task: asyncio.Task[None]
    more_bots: list[NexusBot] = field(default_factory=list)
    """Further bots on the same database and server (the tests' stand-ins for replicas)."""

    @property
    def bots(self) -> list[NexusBot]:
        """Every bot running, `bot` first."""
        return [self.bot, *self.more_bots]


@contextlib.asynccontextmanager
async def running_emulator(cast: Cast) -> AsyncIterator[DiscordEmulator]:
    """Start the emulator serving `cast`'s world, with discord.py pointed at it; stop it after."""
    emulator = DiscordEmulator(cast.world)
    await emulator.start()
    try:
        with emulator.point_discord_py_here():
            yield emulator
    finally:
        await emulator.stop()


@contextlib.asynccontextmanager
async def running_bot(
    emulator: DiscordEmulator, settings: Settings, **bot_options: object
) -> AsyncIterator[tuple[NexusBot, asyncio.Task[None]]]:
    """Start a bot (through the same `serve` as `run`) and wait until it is ready; the bot and
    the task serving it. Closed after."""
    bot = create_bot(settings, **bot_options)
    task = asyncio.create_task(serve(bot, emulator.token), name="nexus-bot")
    ready = asyncio.create_task(ready_in(emulator, bot), name="nexus-bot-ready")
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()  # re-raise why the bot stopped
        raise RuntimeError("the bot stopped before it was ready")
    await ready
    try:
        yield bot, task
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


async def ready_in(emulator: DiscordEmulator, bot: NexusBot, timeout: float = 60) -> None:
    """Until the emulator has seen a client synced and `bot` itself is ready (a second bot
    finds the emulator ready already)."""
    await emulator.wait_until_ready(timeout=timeout)
    await asyncio.wait_for(bot.wait_until_ready(), timeout)


@contextlib.asynccontextmanager
async def running_sandbox(
    settings: Settings, cast: Cast | None = None, *, bots: int = 1, **bot_options: object
) -> AsyncIterator[Sandbox]:
    """Start the emulator and the bot (`bots` of them on the same settings, standing in for
    replicas: each ready before the next starts); stop them all after."""
    cast = cast or build_cast()
    settings = cast.settings_for(settings)
    async with running_emulator(cast) as emulator, contextlib.AsyncExitStack() as stack:
        started = [
            await stack.enter_async_context(running_bot(emulator, settings, **bot_options))
            for _ in range(bots)
        ]
        (bot, task), *more = started
        yield Sandbox(emulator, cast, bot, task, [other for other, _ in more])
