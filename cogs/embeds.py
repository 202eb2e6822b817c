"""How an entry looks in Discord: the embed /learn and the moderators' replies share."""

from __future__ import annotations

import discord

from bot.knowledge.entry import Entry
from bot.knowledge.presentation import CATEGORY_LABELS, for_discord, preview, trim

PREVIEW_CHARS = 900  # about one phone screen before "Read more"
CATEGORY_COLORS = {
    "technology": 0x3498DB,
    "concept": 0x9B59B6,
    "challenge": 0xE67E22,
    "practice": 0x2ECC71,
    "program": 0xE91E63,
    "tool": 0x1ABC9C,
    "resource": 0x95A5A6,
}


def entry_embed(entry: Entry, *, full: bool = False) -> tuple[discord.Embed, bool]:
    """The embed for an entry and whether its body was shortened."""
    limit = 4096 - len(entry.summary) - 8 if full else PREVIEW_CHARS
    body, shortened = (trim if full else preview)(for_discord(entry.body), limit)
    embed = discord.Embed(
        title=entry.title[:256],
        description=f"{entry.summary}\n\n{body}"[:4096],
        color=CATEGORY_COLORS.get(entry.category, 0x5865F2),
    )
    if entry.aliases:  # real other names; search-only misspellings are never shown
        embed.add_field(name="Also known as", value=", ".join(entry.aliases)[:1024], inline=False)
    embed.set_footer(text=CATEGORY_LABELS.get(entry.category, entry.category))
    return embed, shortened
