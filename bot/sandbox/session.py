"""Run the real bot against the emulator: used by `python -m bot sandbox` and the tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

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


@contextlib.asynccontextmanager
async def running_sandbox(
    settings: Settings, cast: Cast | None = None, **bot_options: object
) -> AsyncIterator[Sandbox]:
    """Start the emulator and the bot (through the same `serve` as `run`); stop both after."""
    cast = cast or build_cast()
    emulator = DiscordEmulator(cast.world)
    await emulator.start()
    try:
        with emulator.point_discord_py_here():
            bot = create_bot(cast.settings_for(settings), **bot_options)
            task = asyncio.create_task(serve(bot, emulator.token), name="nexus-bot")
            ready = asyncio.create_task(emulator.wait_until_ready(timeout=60))
            await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                ready.cancel()
                task.result()  # re-raise why the bot stopped
                raise RuntimeError("the bot stopped before it was ready")
            await ready
            try:
                yield Sandbox(emulator, cast, bot, task)
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, 10)
    finally:
        await emulator.stop()
