"""The knowledge cog: `/learn` with autocomplete, `/topics`, and the *Answer with Nexus* message
command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.db.models import AnswerKind
from bot.knowledge.presentation import SHOWN_MATCHES
from cogs.checks import lookup_cooldown
from cogs.knowledge._answer_with import MENU_NAME, offer_entries
from cogs.knowledge._answers import record_answer, safe, send_entry, suggestions_view
from cogs.knowledge._topics import topics_page

if TYPE_CHECKING:
    from bot.app import NexusBot


CategoryName = Literal[
    "technology", "concept", "challenge", "practice", "program", "tool", "resource"
]


class Knowledge(commands.Cog):
    """Look up the program's material."""

    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.answer_menu = app_commands.ContextMenu(
            name=MENU_NAME,
            callback=self.answer_with_nexus,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
        )
        self.answer_menu.add_check(lookup_cooldown.check)

    async def cog_load(self) -> None:
        """Add the message command and start the feedback loop's background work (settling
        closest matches, retention)."""
        self.bot.tree.add_command(self.answer_menu)
        self.bot.feedback.start()

    async def cog_unload(self) -> None:
        """Undo what `cog_load` did."""
        self.bot.tree.remove_command(self.answer_menu.name, type=self.answer_menu.type)
        await self.bot.feedback.stop()

    async def answer_with_nexus(
        self, interaction: discord.Interaction[NexusBot], message: discord.Message
    ) -> None:
        """Offer the invoker the best entries for a message's text (Apps menu)."""
        await offer_entries(interaction, message)

    @app_commands.command(
        name="learn", description="Look up a technology, concept, challenge or program rule"
    )
    @app_commands.describe(
        query="What are you looking for? Typos and abbreviations are fine",
        public="Post the answer in the channel for everyone (default: only you)",
    )
    @lookup_cooldown
    async def learn(
        self, interaction: discord.Interaction[NexusBot], query: str, public: bool = False
    ) -> None:
        """Answer with the best entry, the closest matches, or a clear 'not found'."""
        knowledge = self.bot.knowledge
        if knowledge.get(query.strip()) is not None:  # a slug chosen from autocomplete
            # An entry picked from autocomplete: answered, though not in the learner's words.
            await send_entry(interaction, query.strip(), ephemeral=not public, chosen=True)
            return
        if not query.strip():
            await interaction.response.send_message(
                "Tell me what to look up, for example `/learn query: docker`.", ephemeral=True
            )
            return
        result = await knowledge.search_async(query)
        if result.hits:
            answer, *others = result.ranked[:SHOWN_MATCHES]
            await send_entry(
                interaction,
                answer.slug,
                ephemeral=not public,
                others=tuple(others),
                question=query,
            )
        elif result.suggestions:
            best = result.suggestions[0].slug
            record_answer(interaction, AnswerKind.MATCHES, question=query, best_slug=best)
            await interaction.response.send_message(
                f"Closest matches for “{safe(query)}”:",
                view=suggestions_view(result.suggestions, interaction.id),
                ephemeral=True,
            )
        else:
            record_answer(interaction, AnswerKind.NOTHING, question=query)
            await interaction.response.send_message(
                f"I found nothing about “{safe(query)}” in the program's material. "
                "Try other words, or browse with `/topics`.",
                ephemeral=True,
            )

    @learn.autocomplete("query")
    async def learn_autocomplete(
        self, _interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Entries matching what has been typed so far."""
        hits = await self.bot.knowledge.autocomplete_async(current, limit=25)
        return [app_commands.Choice(name=hit.title[:100], value=hit.slug) for hit in hits]

    @app_commands.command(name="topics", description="Browse the knowledge base by category")
    @app_commands.describe(category="Only this category")
    @lookup_cooldown
    async def topics(
        self, interaction: discord.Interaction[NexusBot], category: CategoryName | None = None
    ) -> None:
        """The first page of entries (of a category)."""
        embed, view = topics_page(self.bot.knowledge, category or "all", 1)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
