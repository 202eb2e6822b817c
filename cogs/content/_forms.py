"""The entry and search-terms forms, their submission, and what a refused or conflicting form
gives back to the moderator (their text, whole)."""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Awaitable
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

import discord

from bot.errors import UserError
from bot.knowledge.entry import CATEGORIES
from bot.knowledge.files import MAX_QUESTION, MAX_QUESTIONS
from bot.knowledge.presentation import trim
from bot.moderation.content import (
    Actor,
    Change,
    ChangeAction,
    ContentService,
    Draft,
    EditConflict,
    SearchTerms,
)
from bot.waits import Waits, within
from cogs.checks import ensure_moderator
from cogs.components import EntryButton, dynamic_view, form_values, payload
from cogs.delivery import post_to_modlog
from cogs.embeds import entry_embed
from cogs.errors import friendly_errors

if TYPE_CHECKING:
    from bot.app import NexusBot

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
FORM_READ_SECONDS = 2.0
"""How long after the click a form may still wait for what it is prefilled with: a form must
be Discord's first answer, within its 3 seconds, so it cannot follow a defer."""

T = TypeVar("T")


def service(interaction: discord.Interaction[NexusBot]) -> ContentService:
    """The content service of the bot handling `interaction`."""
    return interaction.client.content


def actor(interaction: discord.Interaction[NexusBot]) -> Actor:
    """The member behind an interaction."""
    return Actor(interaction.user.id, interaction.user.name)


async def modlog(interaction: discord.Interaction[NexusBot], text: str) -> None:
    """Post to the mod-log channel when one is configured (failures only logged)."""
    await post_to_modlog(interaction.client, text)


def describe(change: Change, who: str) -> str:
    """One line for the mod-log."""
    what = ", ".join(change.changed)
    title = discord.utils.escape_markdown(change.entry.title)
    return (
        f"📝 {who} {change.action} **{title}** (`{change.entry.slug}`, v{change.version}): {what}"
    )


def form_id(*parts: object) -> str:
    """A form's custom_id: what it edits, and a token that makes each opened form unique."""
    return ":".join(("content", *map(str, parts), secrets.token_hex(4)))


class EntryModal(discord.ui.Modal):
    """The entry form. Its custom_id carries the entry and the version it edits (for conflict
    detection); the submit is handled by custom_id (`Content.on_form_submit`), so it needs no
    memory of the process that opened it."""

    def __init__(
        self,
        draft: Draft | None = None,
        *,
        slug: str | None = None,
        version: int | None = None,
        gap_id: int | None = None,
    ) -> None:
        editing = slug is not None
        title = f"Edit: {draft.title}" if editing and draft else "Add an entry"
        custom_id = (
            form_id("edit", slug, version)
            if editing
            else form_id("add", *([f"gap{gap_id}"] if gap_id is not None else []))
        )
        super().__init__(title=title[:45], custom_id=custom_id, timeout=None)
        draft = draft or Draft("", "", "", "", "")
        inputs: tuple[discord.ui.TextInput[EntryModal], ...] = (
            discord.ui.TextInput(
                label="Title", custom_id="title", max_length=100, default=draft.title or None
            ),
            discord.ui.TextInput(
                label="Category",
                custom_id="category",
                max_length=20,
                default=draft.category or None,
                placeholder=", ".join(CATEGORIES)[:100],
            ),
            discord.ui.TextInput(
                label="Aliases (comma-separated)",
                custom_id="aliases",
                required=False,
                max_length=1000,
                default=draft.aliases or None,
                placeholder="k8s, kube (other real names; not typos)",
            ),
            discord.ui.TextInput(
                label="Summary",
                custom_id="summary",
                style=discord.TextStyle.paragraph,
                max_length=300,
                default=draft.summary or None,
            ),
            discord.ui.TextInput(
                label="Body (Markdown)",
                custom_id="body",
                style=discord.TextStyle.paragraph,
                max_length=3500,
                default=draft.body or None,
            ),
        )
        for text_input in inputs:  # custom_ids: `Draft`'s field names, read by `submit_form`
            self.add_item(text_input)


async def report_saved(
    interaction: discord.Interaction[NexusBot], change: Change, note: str = ""
) -> None:
    """Answer a deferred form submission with the saved entry (and `note`), and tell the
    mod-log."""
    embed, _ = entry_embed(change.entry)
    saved = (
        "Nothing changed."
        if change.action == ChangeAction.UNCHANGED
        else f"Saved as version {change.version}; /learn finds it now."
    )
    await interaction.followup.send(f"{saved} {note}".strip(), embed=embed, ephemeral=True)
    if change.action != ChangeAction.UNCHANGED:
        await modlog(interaction, describe(change, interaction.user.mention))


class SearchTermsModal(discord.ui.Modal):
    """An entry's learner questions and misspellings: what search matches, never shown."""

    def __init__(self, title: str, terms: SearchTerms, *, slug: str, version: int) -> None:
        custom_id = form_id("terms", slug, version)
        super().__init__(title=f"Search terms: {title}"[:45], custom_id=custom_id, timeout=None)
        self.add_item(
            discord.ui.TextInput(
                label=f"Learners' questions (one per line, max {MAX_QUESTIONS})",
                custom_id="questions",
                style=discord.TextStyle.paragraph,
                required=False,
                max_length=MAX_QUESTIONS * (MAX_QUESTION + 1),
                default=terms.questions or None,
                placeholder="people keep spamming my endpoint (their words, symptoms)",
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label="Misspellings (comma-separated)",
                custom_id="misspellings",
                required=False,
                max_length=1000,
                default=terms.misspellings or None,
                placeholder="kubernates, kubernets (typos that should still find it)",
            )
        )


async def read_for_form(interaction: discord.Interaction[NexusBot], read: Awaitable[T]) -> T:
    """What a form is prefilled with, or a clear "try again" (not a silent failure) when the
    database is too slow for the form to open within Discord's 3 seconds of the click."""
    waits: Waits | None = getattr(interaction.client.tree, "waits", None)  # NexusTree's
    waited = waits.waited(interaction.created_at.timestamp()) if waits else 0.0
    try:
        return await within(read, FORM_READ_SECONDS - waited)
    except TimeoutError:
        raise UserError(
            "The database is slow right now, so the form could not open in time. "
            "Try again in a moment."
        ) from None


async def open_form(interaction: discord.Interaction[NexusBot], form: discord.ui.Modal) -> None:
    """Show `form` without keeping it in memory: its submit is handled by custom_id, by
    whichever process gets it (after a restart, on another replica)."""
    form.stop()  # discord.py keeps only forms that are not finished
    await interaction.response.send_modal(form)


async def submit_form(interaction: discord.Interaction[NexusBot], custom_id: str) -> None:
    """Save a submitted entry or search terms form (moderators only, checked again here)."""
    ensure_moderator(interaction)
    kind, *target = custom_id.split(":")[1:-1]
    values = form_values(payload(interaction))
    note = ""
    content = service(interaction)
    await interaction.response.defer(ephemeral=True, thinking=True)  # saving may take time
    if kind == "terms":
        slug, version = target
        terms = SearchTerms(values.get("questions", ""), values.get("misspellings", ""))
        typed = f"Questions:\n{terms.questions}\n\nMisspellings:\n{terms.misspellings}\n"
        try:
            change = await content.edit_search_terms(slug, terms, int(version), actor(interaction))
        except UserError as refusal:  # a conflict, or a rule: their text goes back to them
            await return_text(interaction, str(refusal), typed, f"{slug}-your-search-terms.md")
            return
    else:
        draft = Draft(**{field.name: values.get(field.name, "") for field in fields(Draft)})
        try:
            if kind == "add":
                change = await content.add(draft, actor(interaction))
                if target:  # opened from the gap inbox: the question joins the new entry
                    gap_id = int(target[0].removeprefix("gap"))
                    change, note = await answer_gap(interaction, gap_id, change)
            else:
                slug, version = target
                change = await content.edit(slug, draft, int(version), actor(interaction))
        except EditConflict as conflict:
            await send_conflict(interaction, conflict, draft)
            return
        except UserError as refusal:  # e.g. an unknown category: the text is not lost
            await return_text(interaction, str(refusal), draft_text(draft), "your-entry.md")
            return
    await report_saved(interaction, change, note)


async def answer_gap(
    interaction: discord.Interaction[NexusBot], gap_id: int, added: Change
) -> tuple[Change, str]:
    """After a new entry was saved from the gap inbox: its question becomes one of the entry's
    learner questions and leaves the inbox. Returns the newest change, and what became of the
    question (when it cannot join, e.g. longer than a learner question may be, it stays in
    the inbox)."""
    feedback = interaction.client.feedback
    try:
        gap = await feedback.gap(gap_id)
    except UserError:  # answered or swept meanwhile: nothing to add
        return added, ""
    try:
        answered = await feedback.add_question(added.entry.slug, gap.question, actor(interaction))
    except UserError as refusal:
        reason = discord.utils.escape_mentions(str(refusal))[:300]
        return added, f"The question stays in the inbox: it could not join the entry ({reason})"
    return answered, "The question is one of its learner questions now."


async def return_text(
    interaction: discord.Interaction[NexusBot], reason: str, typed: str, name: str
) -> None:
    """Refuse a deferred form privately, with everything the moderator typed attached."""
    await interaction.followup.send(
        f"⚠️ {discord.utils.escape_mentions(reason)[:1500]} Your text is attached, to try again.",
        file=text_file(typed, name),
        ephemeral=True,
        allowed_mentions=NO_PINGS,
    )


def draft_text(draft: Draft) -> str:
    """Everything typed into the entry form, as a file's text."""
    return (
        f"Title: {draft.title}\nCategory: {draft.category}\nAliases: {draft.aliases}\n\n"
        f"Summary:\n{draft.summary}\n\nBody:\n{draft.body}\n"
    )


async def send_conflict(
    interaction: discord.Interaction[NexusBot], conflict: EditConflict, mine: Draft
) -> None:
    """Tell the second editor what happened (in answer to their deferred form): the newer
    text, and theirs, whole, as an attached file (an embed could not hold it), so nothing is
    lost."""
    newer, _ = entry_embed(conflict.current)
    newer.set_author(name=f"Now version {conflict.version}")
    yours = discord.Embed(
        title="Your text (not saved; all of it is in the attached file)",
        color=0x95A5A6,
        description=trim(f"**{mine.title}** · {mine.category}\n\n{mine.summary}", 1000)[0],
    )
    view = dynamic_view(EditAgainButton(conflict.current.slug))
    await interaction.followup.send(
        f"⚠️ {conflict} Your changes were not saved; compare and edit again.",
        embeds=[newer, yours],
        file=text_file(draft_text(mine), f"{conflict.current.slug}-your-text.md"),
        view=view,
        ephemeral=True,
        allowed_mentions=NO_PINGS,
    )


def text_file(text: str, name: str) -> discord.File:
    """`text` as an attachment (a member's text too long for a message is never cut)."""
    return discord.File(io.BytesIO(text.encode()), filename=name)


class EditAgainButton(EntryButton, prefix="content:reedit", label="Edit the newer version"):
    """Opens the edit form again on the newest version."""

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Open the prefilled modal (moderators only)."""
        ensure_moderator(interaction)
        entry, version = await read_for_form(interaction, service(interaction).current(self.slug))
        await open_form(interaction, EntryModal(Draft.of(entry), slug=entry.slug, version=version))


class ConfirmRemoveButton(
    EntryButton, prefix="content:remove", label="Remove it", style=discord.ButtonStyle.danger
):
    """Confirms a removal (moderators only, checked on click)."""

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Remove the entry and say how to undo it."""
        ensure_moderator(interaction)
        await interaction.response.defer()  # a write first; the prompt is edited after it
        change = await service(interaction).remove(self.slug, actor(interaction))
        await interaction.edit_original_response(
            content=f"Removed **{discord.utils.escape_markdown(change.entry.title)}** "
            f"(version {change.version}). `/content revert entry:{self.slug} "
            f"version:{change.version - 1}` brings it back.",
            embed=None,
            view=None,
        )
        await modlog(interaction, describe(change, interaction.user.mention))
