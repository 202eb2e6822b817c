"""`/content stats`: how the knowledge base is used: per entry, or overall with a chart of each
week's answer rate and helpful share."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord

from bot.feedback.chart import weekly_chart
from bot.feedback.stats import WEEKS, EntryStats, KnowledgeStats

if TYPE_CHECKING:
    from bot.app import NexusBot

STATS_CHART = "knowledge-stats.png"


def percent(share: float | None) -> str:
    """A share as a whole percentage, or a dash when there is nothing to divide."""
    return "—" if share is None else f"{share:.0%}"


def overall_embed(bot: NexusBot, stats: KnowledgeStats) -> discord.Embed:
    """The last weeks' figures and the most opened entries (the chart is its image)."""
    total = stats.total
    lines = [
        f"**Questions asked:** {total.questions} · **answered with a confident entry:** "
        f"{percent(total.answer_rate)}",
        f"**Votes:** 👍 {total.helpful} · 👎 {total.not_helpful} · **helpful:** "
        f"{percent(total.helpful_share)}",
    ]
    top = [
        f"{n}. {discord.utils.escape_markdown(entry.title)}: {opens}"
        for n, (slug, opens) in enumerate(stats.top, 1)
        if (entry := bot.knowledge.get(slug)) is not None
    ]
    if top:
        lines += ["", "**Most opened:**", *top]
    embed = discord.Embed(
        title=f"/learn over the last {WEEKS} weeks",
        description="\n".join(lines),
        color=0x3498DB,
    )
    embed.set_image(url=f"attachment://{STATS_CHART}")
    embed.set_footer(text="One entry's figures: /content stats entry:<name>")
    return embed


def entry_embed(title: str, stats: EntryStats, retention_days: int) -> discord.Embed:
    """One entry's opens and votes."""
    last = f"<t:{int(stats.last_opened.timestamp())}:R>" if stats.last_opened else "never"
    votes = stats.helpful + stats.not_helpful
    lines = [
        f"**Opened:** {stats.opens} times · **last:** {last}",
        f"**Votes:** 👍 {stats.helpful} · 👎 {stats.not_helpful} · **helpful:** "
        f"{percent(stats.helpful / votes if votes else None)}",
    ]
    embed = discord.Embed(
        title=f"Stats: {title}"[:256], description="\n".join(lines), color=0x3498DB
    )
    embed.set_footer(text=f"Counted over the last {retention_days} days (the retention period)")
    return embed


async def send_stats(interaction: discord.Interaction[NexusBot], slug: str | None) -> None:
    """Answer `/content stats`: one entry's figures, or the overall ones with their chart."""
    bot = interaction.client
    await interaction.response.defer(ephemeral=True, thinking=True)  # database reads first
    if slug is not None:
        current, _ = await bot.content.current(slug)
        figures = await bot.feedback.entry_stats(current.slug)
        days = bot.settings.gaps_retention_days
        await interaction.followup.send(
            embed=entry_embed(current.title, figures, days), ephemeral=True
        )
        return
    stats = await bot.feedback.stats()
    chart = await asyncio.to_thread(weekly_chart, stats)
    await interaction.followup.send(
        embed=overall_embed(bot, stats),
        file=discord.File(io.BytesIO(chart), filename=STATS_CHART),
        ephemeral=True,
    )
