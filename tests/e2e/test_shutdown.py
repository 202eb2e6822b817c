"""SIGTERM: in-flight interactions finish, the scheduler stops, the database closes."""

from __future__ import annotations

import asyncio
import os
import signal

import discord

from bot.config import Settings
from bot.runner import create_bot, serve
from bot.sandbox.cast import build_cast
from bot.sandbox.emulator import DiscordEmulator


async def test_sigterm_finishes_in_flight_interactions(settings: Settings) -> None:
    cast = build_cast()
    emulator = DiscordEmulator(cast.world)
    await emulator.start()
    try:
        with emulator.point_discord_py_here():
            bot = create_bot(cast.settings_for(settings), guild_ready_timeout=0.05)

            @bot.tree.command(name="slow", description="Answer after a while")
            async def slow(interaction: discord.Interaction) -> None:
                await interaction.response.defer(thinking=True)
                await asyncio.sleep(1.0)
                await interaction.followup.send("done")

            task = asyncio.create_task(serve(bot, emulator.token))
            await emulator.wait_until_ready()
            record = await emulator.slash(cast.learner, "slow")
            await record.wait_ack()
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(task, 15)
        assert (await record.wait_message(timeout=1)).content == "done"
        assert bot.is_closed() and not bot.reminders.running
    finally:
        await emulator.stop()
