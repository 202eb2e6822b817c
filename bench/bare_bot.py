"""A bare discord.py bot: the baseline the load and start-up benchmarks compare Nexus with.

    python bench/bare_bot.py API_BASE GATEWAY_URL TOKEN

A `discord.Client` with an `app_commands.CommandTree` registering the commands the load sends
(`/learn query`, `/help`, `/deadlines`, `/topics`) in the guild `NEXUS_GUILD_ID`, each
answering with a short fixed ephemeral message: no database, no content, no error handling.
Run like `bench/bot_process.py` (the same gateway options), so the difference is the bot.
"""

from __future__ import annotations

import asyncio
import os
import sys

import discord
import yarl
from discord import app_commands


class BareBot(discord.Client):
    """Four slash commands, each answering with a fixed message."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.guild = discord.Object(guild_id)
        self.tree = app_commands.CommandTree(self)

        @self.tree.command(name="learn", description="Look something up")
        async def learn(interaction: discord.Interaction, query: str) -> None:
            await interaction.response.send_message(f"You asked about {query}.", ephemeral=True)

        @self.tree.command(name="help", description="What this bot does")
        async def help_(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("A bare bot.", ephemeral=True)

        @self.tree.command(name="deadlines", description="Upcoming deadlines")
        async def deadlines(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("No deadlines.", ephemeral=True)

        @self.tree.command(name="topics", description="Browse topics")
        async def topics(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("No topics.", ephemeral=True)

    async def setup_hook(self) -> None:
        """Sync the commands to the guild, as Nexus does."""
        self.tree.copy_global_to(guild=self.guild)
        self.tree.clear_commands(guild=None)
        await self.tree.sync(guild=self.guild)


async def serve(bot: BareBot, token: str) -> None:
    """Run until the process is terminated."""
    async with bot:
        await bot.start(token)


def main(api_base: str, gateway: str, token: str) -> None:
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    asyncio.run(serve(BareBot(int(os.environ["NEXUS_GUILD_ID"])), token))


if __name__ == "__main__":
    main(*sys.argv[1:])
