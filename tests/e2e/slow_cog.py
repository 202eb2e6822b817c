"""A cog for the shutdown test: a command and a button whose work takes a while."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Self

import discord
from discord import app_commands
from discord.ext import commands

from cogs.components import PersistentButton, dynamic_view
from cogs.errors import friendly_errors


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


class Slow(commands.Cog):
    """Work still in flight when the bot is told to stop."""

    @app_commands.command(name="slow", description="Answer after a while")
    async def slow(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(1.0)
        await interaction.followup.send("done")

    @app_commands.command(name="offer", description="Show the slow button")
    async def offer(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("here", view=dynamic_view(SlowButton()))


async def setup(bot: commands.Bot) -> None:
    """Load the cog and its button."""
    bot.add_dynamic_items(SlowButton)
    await bot.add_cog(Slow())
