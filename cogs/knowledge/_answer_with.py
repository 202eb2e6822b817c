"""*Answer with Nexus*, a message command: anyone opens a learner's message's Apps menu, picks
one of the best entries for its text privately, and the bot posts that entry as a reply to the
message, pinging only its author. The interaction carries the message's text, so the bot needs
no privileged intent."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.db.models import AnswerKind
from bot.feedback import Claim
from bot.knowledge.presentation import SHOWN_MATCHES
from bot.knowledge.search import Hit
from cogs.components import EntrySelect, chosen, dynamic_view, inert
from cogs.errors import friendly_errors
from cogs.knowledge._answers import entry_message, record_answer

if TYPE_CHECKING:
    from bot.app import NexusBot

MENU_NAME = "Answer with Nexus"
REPLY_MENTIONS = discord.AllowedMentions(
    everyone=False, users=False, roles=False, replied_user=True
)
"""The reply pings the author of the message it answers, and nobody else."""
NOT_ALLOWED_TO_POST = (
    "You cannot post in this channel, so Answer with Nexus cannot post here for you. "
    "Try /learn to read the answer yourself."
)
INVALID_FORM_BODY = 50035
"""Discord's code when a reply's message is gone (with "Unknown message" on
`message_reference`)."""


def author_name(message: discord.Message) -> str:
    """Whose message it is, made inert for echoing."""
    return inert(message.author.display_name)


def may_post_here(interaction: discord.Interaction[NexusBot]) -> bool:
    """Whether the invoker may post in the interaction's channel: the bot posts on their
    behalf, so a read-only channel, a mute or a timeout stays one (Discord's permissions in
    the interaction count them all)."""
    permissions = interaction.permissions
    if isinstance(interaction.channel, discord.Thread):
        return permissions.send_messages_in_threads
    return permissions.send_messages


async def offer_entries(
    interaction: discord.Interaction[NexusBot], message: discord.Message
) -> None:
    """Show the invoker, privately, the best entries for the message's text; nothing found
    goes to the moderators' gap inbox."""
    if not may_post_here(interaction):
        await interaction.response.send_message(NOT_ALLOWED_TO_POST, ephemeral=True)
        return
    text = message.content.strip()
    if not text:
        await interaction.response.send_message(
            "That message has no text to look up.", ephemeral=True
        )
        return
    result = await interaction.client.knowledge.search_async(text)
    hits = (result.ranked if result.hits else result.suggestions)[:SHOWN_MATCHES]
    if not hits:
        record_answer(interaction, AnswerKind.NOTHING, question=text)
        await interaction.response.send_message(
            f"I found nothing in the program's material for {author_name(message)}'s message. "
            "Moderators will see the question in their inbox.",
            ephemeral=True,
        )
        return
    record_answer(interaction, AnswerKind.MATCHES, question=text, best_slug=hits[0].slug)
    await interaction.response.send_message(
        f"Answer {author_name(message)}'s message with one of these. It is posted in the "
        "channel as a reply to the message:",
        view=dynamic_view(AnswerSelect(interaction.id, message.id, hits)),
        ephemeral=True,
    )


class AnswerSelect(
    EntrySelect, template=r"nexus:answer:(?P<answer>\d{1,20}):(?P<message>\d{1,20})"
):
    """The entry to answer a message with; its custom_id names the recorded answer and the
    message."""

    def __init__(self, answer_id: int, message_id: int, hits: tuple[Hit, ...] = ()) -> None:
        super().__init__(f"nexus:answer:{answer_id}:{message_id}", "Answer with…", hits)
        self.answer_id, self.message_id = answer_id, message_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the select from a choice."""
        return cls(int(match["answer"]), int(match["message"]))

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Post the chosen entry as a reply, then say so in place of the choice."""
        await post_answer(interaction, self.answer_id, self.message_id, chosen(interaction))


async def post_answer(
    interaction: discord.Interaction[NexusBot], answer_id: int, message_id: int, slug: str
) -> None:
    """Reply to the message with the entry (votes included), pinging only its author. The
    first choice answers; a later one (another click, another replica) posts the same reply
    again under the offer's nonce, so Discord posts it once, and a reply that failed before
    is posted then."""
    bot = interaction.client
    if not may_post_here(interaction):  # muted, or the channel made read-only, since the offer
        await interaction.response.edit_message(content=NOT_ALLOWED_TO_POST, view=None)
        return
    await interaction.response.defer()  # the choice is replaced once the reply is posted
    channel = interaction.channel
    assert isinstance(channel, discord.abc.Messageable)
    channel_id = interaction.channel_id or 0
    nonce = await bot.feedback.reply_nonce(answer_id, channel_id)
    claim, slug = await bot.feedback.claim_answer(answer_id, slug)
    entry = bot.knowledge.get(slug)
    if entry is None:
        await interaction.edit_original_response(
            content="That entry no longer exists. Try Answer with Nexus again.", view=None
        )
        return
    votes = None if claim is Claim.MISSING else answer_id
    embed, view = await entry_message(bot, entry, answer_id=votes)
    try:
        posted = await channel.send(
            f"Suggested by {inert(interaction.user.display_name)} with *{MENU_NAME}*:",
            embed=embed,
            view=view,
            reference=discord.MessageReference(
                message_id=message_id, channel_id=channel_id, fail_if_not_exists=True
            ),
            allowed_mentions=REPLY_MENTIONS,
            nonce=nonce,
        )
    except discord.HTTPException as error:
        if not (error.code == INVALID_FORM_BODY and "Unknown message" in error.text):
            raise  # e.g. no Read Message History here: an error id, and the log has it
        await interaction.edit_original_response(
            content="That message is gone, so nothing was posted.", view=None
        )
        return
    title = posted.embeds[0].title if posted.embeds else entry.title
    await interaction.edit_original_response(
        content=f"Posted **{discord.utils.escape_markdown(title or '')}** as a reply.", view=None
    )
