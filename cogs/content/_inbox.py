"""`/content gaps`: the questions /learn did not answer well, most asked first, and what a
moderator does with each: add it to an entry's learner questions, start a new entry from it,
or dismiss it. Every button and select checks the moderator again on the server."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.feedback import Gap
from bot.feedback.service import PAGE_SIZE, REAPPEAR_AFTER
from bot.knowledge.entry import Entry
from bot.knowledge.presentation import Page, quote_user_text
from bot.moderation.content import Draft
from cogs.checks import ensure_moderator
from cogs.components import EntrySelect, PersistentButton, chosen, dynamic_view, inert
from cogs.content._forms import (
    NO_PINGS,
    EntryModal,
    actor,
    describe,
    modlog,
    open_form,
    read_for_form,
)
from cogs.errors import friendly_errors

if TYPE_CHECKING:
    from bot.app import NexusBot

SUGGESTED_ENTRIES = 10
"""Entries the *Add to entry…* select offers: the gap's best suggestion, then the search's."""


def question_text(gap: Gap) -> str:
    """The gap's question, made inert for a message."""
    return inert(quote_user_text(gap.question, 200))


def gap_line(number: int, gap: Gap, bot: NexusBot) -> str:
    """One gap of the inbox: the question, how often and when, the suggestion and the votes."""
    best = bot.knowledge.get(gap.best_slug) if gap.best_slug else None
    parts = [
        f"**{number}.** “{question_text(gap)}”",
        f"asked {gap.count}× · last <t:{int(gap.last_seen.timestamp())}:R>",
    ]
    if best is not None:
        parts.append(f"closest: {discord.utils.escape_markdown(best.title)}")
    if gap.helpful or gap.not_helpful:
        parts.append(f"👍 {gap.helpful} · 👎 {gap.not_helpful}")
    return "\n".join((parts[0], " · ".join(parts[1:])))


def inbox_message(
    bot: NexusBot, page: Page[Gap], days: int
) -> tuple[discord.Embed, discord.ui.View]:
    """A page of the inbox: the gaps, a row of actions per gap, and the page buttons."""
    first = (page.number - 1) * PAGE_SIZE + 1
    lines = [gap_line(first + n, gap, bot) for n, gap in enumerate(page.items)]
    embed = discord.Embed(
        title=f"Questions /learn did not answer well (last {days} days): {page.total}",
        description="\n\n".join(lines) or "Nothing in the inbox. Learners found what they asked.",
        color=0xE67E22,
    )
    embed.set_footer(
        text=f"Page {page.number} of {page.count} · a dismissed question comes back after "
        f"{REAPPEAR_AFTER} more askings"
    )
    items: list[discord.ui.Item[Any]] = []
    for row, gap in enumerate(page.items):
        number = first + row
        items += [
            AddToEntryButton(gap.id, f"{number} · Add to entry…", row=row),
            NewEntryButton(gap.id, f"{number} · New entry", row=row),
            DismissButton(gap.id, days, page.number, f"{number} · Dismiss", row=row),
        ]
    if page.count > 1:
        items += [
            InboxPageButton(days, page.number - 1, "◀ Previous", disabled=page.number <= 1),
            InboxPageButton(days, page.number + 1, "Next ▶", disabled=page.number >= page.count),
        ]
    return embed, dynamic_view(*items)


async def send_inbox(interaction: discord.Interaction[NexusBot], days: int) -> None:
    """Answer `/content gaps` with the inbox's first page."""
    await interaction.response.defer(ephemeral=True, thinking=True)  # a database read first
    page = await interaction.client.feedback.gaps(days, 1)
    embed, view = inbox_message(interaction.client, page, days)
    await interaction.followup.send(embed=embed, view=view, ephemeral=True)


class InboxPageButton(PersistentButton, template=r"gaps:page:(?P<days>\d{1,3}):(?P<page>\d{1,5})"):
    """Turns the inbox's page."""

    def __init__(self, days: int, page: int, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"gaps:page:{days}:{max(page, 0)}",
                row=4,
            )
        )
        self.days, self.page = days, page

    @classmethod
    def from_match(cls, match: re.Match[str], label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls(int(match["days"]), int(match["page"]), label or "")

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the requested page in place."""
        ensure_moderator(interaction)
        await interaction.response.defer()  # a database read first
        page = await interaction.client.feedback.gaps(self.days, self.page)
        embed, view = inbox_message(interaction.client, page, self.days)
        await interaction.edit_original_response(embed=embed, view=view)


class GapButton(PersistentButton, template=r"(?!)"):
    """A button acting on one gap; its custom_id is `gaps:<action>:<gap id>`."""

    action: str

    def __init_subclass__(cls, *, action: str) -> None:
        super().__init_subclass__(template=rf"gaps:{action}:(?P<gap>\d{{1,18}})")
        cls.action = action

    def __init__(self, gap_id: int, label: str, *, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.secondary,
                custom_id=f"gaps:{self.action}:{gap_id}",
                row=row,
            )
        )
        self.gap_id = gap_id

    @classmethod
    def from_match(cls, match: re.Match[str], label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls(int(match["gap"]), label or "")


class AddToEntryButton(GapButton, action="add"):
    """Offers the entries the question could join, best suggestions first."""

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the entry select privately."""
        ensure_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # a database read first
        bot: NexusBot = interaction.client
        gap = await bot.feedback.gap(self.gap_id)
        slugs = [gap.best_slug] if gap.best_slug else []
        result = await bot.knowledge.search_async(gap.question, limit=SUGGESTED_ENTRIES)
        slugs += [hit.slug for hit in result.ranked]
        entries = [e for slug in dict.fromkeys(slugs) if (e := bot.knowledge.get(slug))]
        text = (
            f"Which entry answers “{question_text(gap)}”? The question joins its learner "
            "questions, so /learn finds it next time. Not listed: `/content add-question` "
            "takes any entry."
        )
        view = dynamic_view(GapEntrySelect(self.gap_id, entries[:SUGGESTED_ENTRIES]))
        if not entries:
            text, view = (
                f"No entry comes close to “{question_text(gap)}”: `/content add-question` "
                "takes any entry, or *New entry* starts one.",
                dynamic_view(),
            )
        await interaction.followup.send(text, view=view, ephemeral=True, allowed_mentions=NO_PINGS)


class GapEntrySelect(EntrySelect, template=r"gaps:pick:(?P<gap>\d{1,18})"):
    """The entry a gap's question joins."""

    def __init__(self, gap_id: int, entries: Iterable[Entry] = ()) -> None:
        super().__init__(f"gaps:pick:{gap_id}", "Add the question to…", entries)
        self.gap_id = gap_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the select from a choice."""
        return cls(int(match["gap"]))

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Add the question to the chosen entry."""
        ensure_moderator(interaction)
        await add_question(interaction, self.gap_id, chosen(interaction))


async def add_question(interaction: discord.Interaction[NexusBot], gap_id: int, slug: str) -> None:
    """Put a gap's question into an entry's learner questions and say so."""
    await interaction.response.defer(ephemeral=True, thinking=True)  # saving may take time
    change = await interaction.client.feedback.answer(gap_id, slug, actor(interaction))
    title = discord.utils.escape_markdown(change.entry.title)
    await interaction.followup.send(
        f"Added to the learner questions of **{title}** (version {change.version}); "
        "/learn finds it now.",
        ephemeral=True,
    )
    await modlog(interaction, describe(change, interaction.user.mention))


class NewEntryButton(GapButton, action="new"):
    """Opens the add form with the question as its title."""

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Open the prefilled form; saving it takes the question out of the inbox."""
        ensure_moderator(interaction)
        gap = await read_for_form(interaction, interaction.client.feedback.gap(self.gap_id))
        title = gap.question[:100]
        draft = Draft(title[:1].upper() + title[1:], "", "", "", "")
        await open_form(interaction, EntryModal(draft, gap_id=gap.id))


class DismissButton(
    PersistentButton,
    template=r"gaps:dismiss:(?P<gap>\d{1,18}):(?P<days>\d{1,3}):(?P<page>\d{1,5})",
):
    """Hides a gap until it is asked again enough; the page is shown again in place."""

    def __init__(self, gap_id: int, days: int, page: int, label: str, *, row: int | None = None):
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.secondary,
                custom_id=f"gaps:dismiss:{gap_id}:{days}:{page}",
                row=row,
            )
        )
        self.gap_id, self.days, self.page = gap_id, days, page

    @classmethod
    def from_match(cls, match: re.Match[str], label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls(int(match["gap"]), int(match["days"]), int(match["page"]), label or "")

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Dismiss, then show the same page without it."""
        ensure_moderator(interaction)
        await interaction.response.defer()  # the page is edited once the write is done
        bot: NexusBot = interaction.client
        gap = await bot.feedback.dismiss(self.gap_id)
        page = await bot.feedback.gaps(self.days, self.page)
        embed, view = inbox_message(bot, page, self.days)
        await interaction.edit_original_response(
            content=f"Dismissed “{question_text(gap)}”: it comes back if asked "
            f"{REAPPEAR_AFTER} more times.",
            embed=embed,
            view=view,
            allowed_mentions=NO_PINGS,
        )


INBOX_ITEMS = (InboxPageButton, AddToEntryButton, GapEntrySelect, NewEntryButton, DismissButton)
