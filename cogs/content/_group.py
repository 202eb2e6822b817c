"""`/content`: the moderators' command group, and the cog that handles its forms."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserError
from bot.knowledge.files import MAX_QUESTION
from bot.moderation.content import ChangeAction, Draft, SearchTerms
from cogs.checks import ModeratorGroup, member_is_moderator, moderator_cooldown
from cogs.components import dynamic_view, inert, payload
from cogs.content._forms import (
    NO_PINGS,
    ConfirmRemoveButton,
    EntryModal,
    SearchTermsModal,
    actor,
    describe,
    modlog,
    open_form,
    read_for_form,
    service,
    submit_form,
)
from cogs.content._inbox import send_inbox
from cogs.content._stats import send_stats
from cogs.embeds import entry_embed
from cogs.errors import friendly_errors

if TYPE_CHECKING:
    from bot.app import NexusBot


async def entry_choices(
    interaction: discord.Interaction[NexusBot], current: str, *, include_removed: bool = False
) -> list[app_commands.Choice[str]]:
    """Autocomplete for entries (live ones from the index; removed ones by slug)."""
    if not include_removed:
        hits = await interaction.client.knowledge.autocomplete_async(current, limit=25)
        return [app_commands.Choice(name=f"{h.title} ({h.slug})"[:100], value=h.slug) for h in hits]
    needle = current.casefold().strip()
    slugs = [s for s in await service(interaction).slugs(include_removed=True) if needle in s]
    return [app_commands.Choice(name=s, value=s) for s in sorted(slugs)[:25]]


class ContentGroup(
    ModeratorGroup, name="content", description="Edit the knowledge base (moderators)"
):
    """Moderators edit the knowledge base; hidden by default permissions, checked at runtime."""

    @app_commands.command(name="add", description="Add a new entry")
    @moderator_cooldown
    async def add(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Open the empty entry form."""
        await open_form(interaction, EntryModal())

    @app_commands.command(name="edit", description="Edit an entry")
    @app_commands.describe(entry="The entry to edit")
    @moderator_cooldown
    async def edit(self, interaction: discord.Interaction[NexusBot], entry: str) -> None:
        """Open the entry form prefilled with the current version."""
        current, version = await read_for_form(interaction, service(interaction).current(entry))
        await open_form(
            interaction, EntryModal(Draft.of(current), slug=current.slug, version=version)
        )

    @app_commands.command(
        name="search-terms", description="Edit the questions and misspellings search matches"
    )
    @app_commands.describe(entry="The entry whose search terms to edit")
    @moderator_cooldown
    async def search_terms(self, interaction: discord.Interaction[NexusBot], entry: str) -> None:
        """Open the search terms form prefilled with the current version."""
        current, version = await read_for_form(interaction, service(interaction).current(entry))
        await open_form(
            interaction,
            SearchTermsModal(
                current.title, SearchTerms.of(current), slug=current.slug, version=version
            ),
        )

    @app_commands.command(
        name="gaps", description="Questions /learn did not answer well, most asked first"
    )
    @app_commands.describe(days="Only questions asked within this many days (default 30)")
    @moderator_cooldown
    async def gaps(
        self, interaction: discord.Interaction[NexusBot], days: app_commands.Range[int, 1, 365] = 30
    ) -> None:
        """The gap inbox's first page."""
        await send_inbox(interaction, days)

    @app_commands.command(
        name="stats", description="How entries are used: opens, votes, the weekly answer rate"
    )
    @app_commands.describe(entry="Only this entry (default: every entry, with a chart)")
    @moderator_cooldown
    async def stats(
        self, interaction: discord.Interaction[NexusBot], entry: str | None = None
    ) -> None:
        """Figures for one entry, or overall with a chart."""
        await send_stats(interaction, entry)

    @app_commands.command(
        name="add-question", description="Add a learner question to an entry (search finds it)"
    )
    @app_commands.describe(
        entry="The entry that answers it",
        question="The question in learners' words (the inbox's questions are offered)",
    )
    @moderator_cooldown
    async def add_question(
        self,
        interaction: discord.Interaction[NexusBot],
        entry: str,
        question: app_commands.Range[str, 1, MAX_QUESTION],
    ) -> None:
        """Add the question as a new version; the inbox forgets it."""
        feedback = interaction.client.feedback
        await interaction.response.defer(ephemeral=True, thinking=True)  # saving may take time
        try:
            change = await feedback.add_question(entry, question, actor(interaction))
        except UserError as refusal:  # e.g. the entry is full: their question comes back
            await interaction.followup.send(
                f"⚠️ {discord.utils.escape_mentions(str(refusal))[:1500]} Your question: "
                f"“{inert(question)}”",
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        title = discord.utils.escape_markdown(change.entry.title)
        note = (
            f"**{title}** already has that question."
            if change.action == ChangeAction.UNCHANGED
            else f"Added to the learner questions of **{title}** (version {change.version}); "
            "/learn finds it now."
        )
        await interaction.followup.send(note, ephemeral=True)
        if change.action != ChangeAction.UNCHANGED:
            await modlog(interaction, describe(change, interaction.user.mention))

    @add_question.autocomplete("question")
    async def inbox_questions(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """The inbox's questions containing what was typed (nothing for non-moderators:
        Discord runs no check before autocomplete)."""
        if not member_is_moderator(interaction):
            return []
        questions = await interaction.client.feedback.questions_like(current)
        return [
            app_commands.Choice(name=q[:100], value=q) for q in questions if len(q) <= MAX_QUESTION
        ]

    @app_commands.command(name="remove", description="Remove an entry (it can be reverted)")
    @app_commands.describe(entry="The entry to remove")
    @moderator_cooldown
    async def remove(self, interaction: discord.Interaction[NexusBot], entry: str) -> None:
        """Ask for confirmation with a button."""
        await interaction.response.defer(ephemeral=True, thinking=True)  # a database read
        current, _ = await service(interaction).current(entry)
        embed, _ = entry_embed(current)
        view = dynamic_view(ConfirmRemoveButton(current.slug))
        await interaction.followup.send(
            "Remove this entry?", embed=embed, view=view, ephemeral=True
        )

    @app_commands.command(name="history", description="Versions of an entry: who, when, what")
    @app_commands.describe(entry="The entry")
    @moderator_cooldown
    async def history(self, interaction: discord.Interaction[NexusBot], entry: str) -> None:
        """List the versions, newest first."""
        await interaction.response.defer(ephemeral=True, thinking=True)  # a database read
        current, versions = await service(interaction).history(entry)
        lines = [
            f"**v{v.version}** · <t:{int(v.created_at.timestamp())}:f> · "
            f"{discord.utils.escape_markdown(v.author)} · {v.origin}: {', '.join(v.changed)}"
            for v in versions[:25]
        ]
        embed = discord.Embed(
            title=f"History of {current.title}"[:256],
            color=0x5865F2,
            description="\n".join(lines)[:4000],
        )
        embed.set_footer(text=f"/content revert entry:{current.slug} version:N restores one")
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="revert", description="Restore an earlier version of an entry")
    @app_commands.describe(entry="The entry", version="The version to restore")
    @moderator_cooldown
    async def revert(
        self,
        interaction: discord.Interaction[NexusBot],
        entry: str,
        version: app_commands.Range[int, 1, 100000],
    ) -> None:
        """Restore a version as a new version."""
        await interaction.response.defer(ephemeral=True, thinking=True)  # a write first
        change = await service(interaction).revert(entry, version, actor(interaction))
        embed, _ = entry_embed(change.entry)
        await interaction.followup.send(
            f"Restored version {version} as version {change.version}.", embed=embed, ephemeral=True
        )
        await modlog(interaction, describe(change, interaction.user.mention))

    @app_commands.command(name="reload", description="Re-import the content files")
    @moderator_cooldown
    async def reload(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Import `content/` again and summarize."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await interaction.client.knowledge.reload()
        lines = [f"Reloaded: {report.summary()}."]
        for label, slugs in (
            ("Added", report.added),
            ("Updated", report.updated),
            ("Retired", report.retired),
        ):
            if slugs:
                lines.append(f"{label}: {', '.join(slugs[:20])}")
        if report.conflicts:
            lines.append(
                "In conflict (a moderator's edit is live; the file changed too; the "
                "edit is kept until you export or edit): " + ", ".join(report.conflicts[:20])
            )
        for problem in report.problems[:10]:
            lines.append(f"⚠️ {problem}")
        await interaction.followup.send("\n".join(lines)[:2000], ephemeral=True)

    @edit.autocomplete("entry")
    @search_terms.autocomplete("entry")
    @add_question.autocomplete("entry")
    @stats.autocomplete("entry")
    @remove.autocomplete("entry")
    async def live_entries(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Live entries matching what was typed (for moderators)."""
        if not member_is_moderator(interaction):
            return []
        return await entry_choices(interaction, current)

    @history.autocomplete("entry")
    @revert.autocomplete("entry")
    async def any_entries(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Every entry, removed ones included (for moderators only: removed ones are not
        public)."""
        if not member_is_moderator(interaction):
            return []
        return await entry_choices(interaction, current, include_removed=True)


class Content(commands.Cog):
    """Moderator content editing."""

    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot

    @commands.Cog.listener("on_interaction")
    async def on_form_submit(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Handle this cog's forms by custom_id (nothing of the opening process needed)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        custom_id = str(payload(interaction).get("custom_id", ""))
        if custom_id.startswith(("content:add:", "content:edit:", "content:terms:")):
            await self.submit(interaction, custom_id)

    @friendly_errors
    async def submit(self, interaction: discord.Interaction[NexusBot], custom_id: str) -> None:
        """`submit_form`, with errors answered privately with an error id."""
        await submit_form(interaction, custom_id)
