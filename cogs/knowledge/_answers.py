"""An entry as /learn shows it: the embed, *Read more*, the next matches, related entries and
the votes; the closest matches when unsure. Buttons are `DynamicItem`s whose custom_id carries
what they open, so they keep working on old messages and after a restart."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.db.models import AnswerKind
from bot.feedback import VoteOutcome
from bot.knowledge.deadlines import LiveDeadlines, live_deadlines
from bot.knowledge.entry import Entry
from bot.knowledge.presentation import (
    SHOWN_MATCHES,
    quote_user_text,
    trim,
)
from bot.knowledge.search import Hit
from cogs.components import EntryButton, PersistentButton, dynamic_view, inert
from cogs.embeds import entry_embed
from cogs.errors import friendly_errors

if TYPE_CHECKING:
    from bot.app import NexusBot
    from bot.knowledge.service import KnowledgeService

log = logging.getLogger(__name__)

MAX_RELATED_BUTTONS = 4


def service(interaction: discord.Interaction[NexusBot]) -> KnowledgeService:
    """The knowledge service of the bot handling `interaction`."""
    return interaction.client.knowledge


def safe(text: str) -> str:
    """A member's query, shortened and made inert for echoing."""
    return inert(quote_user_text(text))


def add_deadlines(embed: discord.Embed, live: LiveDeadlines) -> None:
    """The live milestones right under the entry's text, within Discord's embed limits."""
    room = min(1024, 6000 - len(embed) - len(live.title))
    if room >= 80:  # always, with the content limits (body 3,500, summary 300 characters)
        embed.insert_field_at(0, name=live.title, value=trim(live.text, room)[0], inline=False)


def entry_view(
    knowledge: KnowledgeService,
    entry: Entry,
    *,
    shortened: bool,
    others: tuple[Hit, ...] = (),
    answer_id: int | None = None,
) -> discord.ui.View:
    """Read more (when shortened), "Or: …" for the question's next matches, one button per
    related entry, and the votes on this answer (on a row of their own)."""
    items: list[discord.ui.Item[Any]] = [ReadMoreButton(entry.slug)] if shortened else []
    items += [OpenEntryButton(hit.slug, f"Or: {hit.title}") for hit in others]
    shown = {hit.slug for hit in others}
    related = [
        e for slug in entry.related if slug not in shown and (e := knowledge.get(slug)) is not None
    ]
    items += [OpenEntryButton(other.slug, other.title) for other in related[:MAX_RELATED_BUTTONS]]
    if answer_id is not None:
        items += [VoteButton(answer_id, helpful=True), VoteButton(answer_id, helpful=False)]
    return dynamic_view(*items)


def record_answer(
    interaction: discord.Interaction[NexusBot], kind: AnswerKind, **shown: str | None
) -> None:
    """Record what a reply shows, for votes and the gap inbox, under the interaction's id
    (which its buttons carry). It is queued, never waited for: answers are written in batches,
    and a vote or a pick on an answer still on its way waits for it."""
    interaction.client.feedback.record_soon(kind, answer_id=interaction.id, **shown)


VOTE_LABELS = {True: "👍 Helpful", False: "👎 Not helpful"}
VOTE_REPLIES = {
    (VoteOutcome.NEW, True): "Thanks, noted as helpful.",
    (VoteOutcome.NEW, False): "Thanks. Moderators will see that this did not answer it.",
    (VoteOutcome.CHANGED, True): "Changed your vote to helpful.",
    (VoteOutcome.CHANGED, False): "Changed your vote to not helpful. Moderators will see it.",
    (VoteOutcome.SAME, True): "You already said this was helpful.",
    (VoteOutcome.SAME, False): "You already said this was not helpful.",
}
NOT_VOTED = {
    VoteOutcome.GONE: "That answer is too old to vote on; ask /learn again.",
    VoteOutcome.UNKNOWN: "Your vote could not be recorded just now; please try again later.",
}


class VoteButton(PersistentButton, template=r"learn:vote:(?P<answer>\d{1,20}):(?P<helpful>[01])"):
    """*Helpful* / *Not helpful* on one answer: one vote per member, a second click changes it."""

    def __init__(self, answer_id: int, *, helpful: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label=VOTE_LABELS[helpful],
                style=discord.ButtonStyle.secondary,
                custom_id=f"learn:vote:{answer_id}:{int(helpful)}",
                row=4,
            )
        )
        self.answer_id, self.helpful = answer_id, helpful

    @classmethod
    def from_match(cls, match: re.Match[str], label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls(int(match["answer"]), helpful=match["helpful"] == "1")

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the vote and say so privately (acknowledged first: the database may be
        busy)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        feedback = interaction.client.feedback
        outcome = await feedback.vote(self.answer_id, interaction.user.id, self.helpful)
        reply = VOTE_REPLIES.get((outcome, self.helpful)) or NOT_VOTED[outcome]
        await interaction.followup.send(reply, ephemeral=True)


class OpenEntryButton(EntryButton, prefix="learn:open"):
    """Opens an entry (related entries, "Or: …" matches)."""

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the entry privately to whoever clicked."""
        await send_entry(interaction, self.slug)


class ReadMoreButton(
    EntryButton, prefix="learn:more", label="Read more", style=discord.ButtonStyle.primary
):
    """Shows the whole entry."""

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Send the full text privately."""
        await send_entry(interaction, self.slug, full=True)


class ClosestMatchButton(
    PersistentButton, template=r"learn:pick:(?P<answer>\d{1,20}):(?P<slug>[a-z0-9-]{1,64})"
):
    """Opens one of the closest matches /learn offered, and tells the gap inbox that the
    question found an answer."""

    def __init__(self, answer_id: int, slug: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.secondary,
                custom_id=f"learn:pick:{answer_id}:{slug}",
            )
        )
        self.answer_id, self.slug = answer_id, slug

    @classmethod
    def from_match(cls, match: re.Match[str], label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls(int(match["answer"]), match["slug"], label or "Open")

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the entry privately, then note the pick."""
        await send_entry(interaction, self.slug)
        await interaction.client.feedback.pick(self.answer_id)


async def send_entry(
    interaction: discord.Interaction[NexusBot],
    slug: str,
    *,
    full: bool = False,
    ephemeral: bool = True,
    others: tuple[Hit, ...] = (),
    question: str | None = None,
    chosen: bool = False,
) -> None:
    """Reply with an entry (and buttons for the question's `others` matches, and votes), or say
    it is gone. `question` is what /learn was asked; an entry `chosen` from autocomplete is an
    answer too, without the learner's words; otherwise the entry was opened from a button."""
    knowledge = service(interaction)
    entry = knowledge.get(slug)
    if entry is None:
        await interaction.response.send_message(
            "That entry no longer exists. Try /learn or /topics.", ephemeral=True
        )
        return
    kind = AnswerKind.ANSWER if question or chosen else AnswerKind.OPENED
    record_answer(interaction, kind, question=question, entry_slug=slug)
    embed, view = await entry_message(
        interaction.client, entry, full=full, others=others, answer_id=interaction.id
    )
    await interaction.response.send_message(embed=embed, view=view, ephemeral=ephemeral)


async def entry_message(
    bot: NexusBot,
    entry: Entry,
    *,
    full: bool = False,
    others: tuple[Hit, ...] = (),
    answer_id: int | None = None,
) -> tuple[discord.Embed, discord.ui.View]:
    """An entry's embed (with the live milestones of the program's date entries) and its
    buttons; votes when `answer_id` names the recorded answer."""
    embed, shortened = entry_embed(entry, full=full)
    live = await live_deadlines(bot.reminders, entry.slug, escape=inert)
    if live is not None:
        add_deadlines(embed, live)
    view = entry_view(
        bot.knowledge, entry, shortened=shortened and not full, others=others, answer_id=answer_id
    )
    return embed, view


def suggestions_view(hits: tuple[Hit, ...], answer_id: int) -> discord.ui.View:
    """One button per closest match; a click notes the pick on answer `answer_id`."""
    shown = hits[:SHOWN_MATCHES]
    return dynamic_view(*(ClosestMatchButton(answer_id, hit.slug, hit.title) for hit in shown))
