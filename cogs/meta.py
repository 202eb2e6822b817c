"""`/help`: the commands the caller may use."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from cogs.checks import member_is_moderator

if TYPE_CHECKING:
    from bot.app import NexusBot

HELP_COLOR = discord.Color.blurple()


def command_lines(
    commands_: list[app_commands.Command | app_commands.Group], *, moderator: bool
) -> list[str]:
    """`/name — description` for every command (and subcommand) the caller may use."""
    lines: list[str] = []
    for command in sorted(commands_, key=lambda c: c.name):
        if command.extras.get("moderator") and not moderator:
            continue
        if isinstance(command, app_commands.Group):
            for sub in command.walk_commands():
                if isinstance(sub, app_commands.Command) and (
                    moderator or not sub.extras.get("moderator")
                ):
                    lines.append(f"`/{sub.qualified_name}` — {sub.description}")
        else:
            lines.append(f"`/{command.qualified_name}` — {command.description}")
    return lines


class Meta(commands.Cog):
    """Help and information about the bot."""

    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="Show what this bot can do for you")
    async def help(self, interaction: discord.Interaction[NexusBot]) -> None:
        """List the commands the caller may use."""
        moderator = member_is_moderator(interaction)
        available = self.bot.tree.get_commands(guild=self.bot.guild_object)
        lines = command_lines(
            [c for c in available if isinstance(c, app_commands.Command | app_commands.Group)],
            moderator=moderator,
        )
        menus = self.bot.tree.get_commands(
            guild=self.bot.guild_object, type=discord.AppCommandType.message
        )
        lines += [
            f"**{menu.name}** — on any message: *Apps* (right-click, or long-press on a phone)"
            for menu in sorted(menus, key=lambda m: m.name)
        ]
        embed = discord.Embed(
            title="ProDev Nexus bot",
            description=(
                "Your companion in #ProDevProjectNexus: look up the program's material, "
                "find a partner and keep track of deadlines.\n\n" + "\n".join(lines)
            ),
            color=HELP_COLOR,
        )
        if moderator:
            embed.set_footer(text="You see moderator commands too.")
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: NexusBot) -> None:
    """Load the cog."""
    await bot.add_cog(Meta(bot))
