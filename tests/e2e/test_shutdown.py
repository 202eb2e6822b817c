"""SIGTERM: in-flight interactions finish, the scheduler stops, the database closes."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from typing import Any, Self

import discord

from bot.config import Settings
from bot.runner import create_bot, serve
from bot.sandbox.cast import build_cast
from cogs.components import PersistentButton, dynamic_view
from cogs.errors import friendly_errors
from emulator.server import DiscordEmulator


class SlowButton(PersistentButton, template=r"test:slow"):
    """A button whose work takes a while (like a rematch writing a new group)."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label="Slow", custom_id="test:slow"))

    @classmethod
    def from_match(cls, _match: re.Match[str], _label: str | None) -> Self:
        return cls()

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(1.0)
        await interaction.followup.send("clicked", ephemeral=True)


async def test_sigterm_finishes_commands_and_buttons_in_flight(settings: Settings) -> None:
    cast = build_cast()
    emulator = DiscordEmulator(cast.world)
    await emulator.start()
    try:
        with emulator.point_discord_py_here():
            bot = create_bot(cast.settings_for(settings), guild_ready_timeout=0.05)
            bot.add_dynamic_items(SlowButton)

            @bot.tree.command(name="slow", description="Answer after a while")
            async def slow(interaction: discord.Interaction) -> None:
                await interaction.response.defer(thinking=True)
                await asyncio.sleep(1.0)
                await interaction.followup.send("done")

            @bot.tree.command(name="offer", description="Show the slow button")
            async def offer(interaction: discord.Interaction) -> None:
                await interaction.response.send_message("here", view=dynamic_view(SlowButton()))

            task = asyncio.create_task(serve(bot, emulator.token))
            await emulator.wait_until_ready()
            message = await emulator.run(cast.learner, "offer")
            command = await emulator.slash(cast.learner, "slow")
            click = await emulator.click(cast.learner, message, "Slow")
            await command.wait_ack()
            await click.wait_ack()
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(task, 15)
        assert (await command.wait_message(timeout=1)).content == "done"
        assert (await click.wait_message(timeout=1)).content == "clicked"
        assert bot.is_closed() and not bot.reminders.running
    finally:
        await emulator.stop()
