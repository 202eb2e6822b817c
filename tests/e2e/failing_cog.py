"""A cog for the tests: commands that fail, and one that is too slow to answer."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserError


class Failing(commands.Cog):
    """Commands that misbehave on purpose."""

    @app_commands.command(name="boom", description="Raise an unexpected error")
    async def boom(self, interaction: discord.Interaction) -> None:
        """Fail like a bug would."""
        raise RuntimeError("kaboom")

    @app_commands.command(name="refuse", description="Raise a user error")
    async def refuse(self, interaction: discord.Interaction, text: str) -> None:
        """Fail like bad input would, echoing the input."""
        raise UserError(f"cannot do that with {text}")

    @app_commands.command(name="slowboom", description="Defer, then fail")
    async def slowboom(self, interaction: discord.Interaction) -> None:
        """Fail after deferring."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.05)
        raise RuntimeError("late kaboom")

    @app_commands.command(name="late", description="Answer after Discord's deadline")
    async def late(self, interaction: discord.Interaction) -> None:
        """Reply too late (the tests shorten the deadline)."""
        await asyncio.sleep(0.3)
        await interaction.response.send_message("too late")


async def setup(bot: commands.Bot) -> None:
    """Load the cog."""
    await bot.add_cog(Failing())
