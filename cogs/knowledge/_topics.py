"""`/topics`: the knowledge base page by page, by category."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.knowledge.entry import Entry
from bot.knowledge.presentation import (
    CATEGORY_LABELS,
    paginate,
    trim,
)
from cogs.components import EntrySelect, PersistentButton, chosen, dynamic_view
from cogs.embeds import CATEGORY_COLORS
from cogs.errors import friendly_errors
from cogs.knowledge._answers import send_entry, service

if TYPE_CHECKING:
    from bot.knowledge.service import KnowledgeService


PAGE_SIZE = 10


def topics_page(
    knowledge: KnowledgeService, category: str, number: int
) -> tuple[discord.Embed, discord.ui.View]:
    """Page `number` of the entries in `category` ('all' for every category)."""
    entries = knowledge.browse(None if category == "all" else category)
    page = paginate(entries, number, PAGE_SIZE)
    label = "All topics" if category == "all" else CATEGORY_LABELS.get(category, category)
    lines = [f"**{e.title}** — {trim(e.summary, 90)[0]}" for e in page.items]
    embed = discord.Embed(
        title=f"{label} ({page.total})",
        description="\n".join(lines) or "Nothing here yet.",
        color=CATEGORY_COLORS.get(category, 0x5865F2),
    )
    embed.set_footer(text=f"Page {page.number} of {page.count} · open one below or use /learn")
    items: list[discord.ui.Item[Any]] = (
        [TopicSelect(category, page.number, page.items)] if page.items else []
    )
    items.append(
        TopicsPageButton(category, page.number - 1, "◀ Previous", disabled=page.number <= 1)
    )
    items.append(
        TopicsPageButton(category, page.number + 1, "Next ▶", disabled=page.number >= page.count)
    )
    view = dynamic_view(*items)
    return embed, view


class TopicsPageButton(
    PersistentButton,
    template=r"topics:page:(?P<category>[a-z]+):(?P<page>\d{1,4})",
):
    """Turns the page of a /topics listing."""

    def __init__(self, category: str, page: int, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"topics:page:{category}:{max(page, 0)}",
            )
        )
        self.category, self.page = category, page

    @classmethod
    def from_match(cls, match: re.Match[str], label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls(match["category"], int(match["page"]), label or "")

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the requested page in place."""
        embed, view = topics_page(service(interaction), self.category, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class TopicSelect(EntrySelect, template=r"topics:open:(?P<category>[a-z]+):(?P<page>\d{1,4})"):
    """Opens one of the entries listed on a /topics page."""

    def __init__(self, category: str, page: int, entries: tuple[Entry, ...] = ()) -> None:
        super().__init__(f"topics:open:{category}:{page}", "Open an entry…", entries)

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the select from a choice."""
        return cls(match["category"], int(match["page"]))

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the chosen entry privately."""
        await send_entry(interaction, chosen(interaction))
