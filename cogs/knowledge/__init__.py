"""`/learn`, `/topics` and *Answer with Nexus*: the program's knowledge base in Discord.

Every entry shown carries *Helpful* / *Not helpful* votes; what /learn could not answer feeds
the moderators' gap inbox (`bot.feedback`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.knowledge._answer_with import AnswerSelect
from cogs.knowledge._answers import ClosestMatchButton, OpenEntryButton, ReadMoreButton, VoteButton
from cogs.knowledge._cog import CategoryName, Knowledge
from cogs.knowledge._topics import TopicSelect, TopicsPageButton

if TYPE_CHECKING:
    from bot.app import NexusBot

__all__ = ["CategoryName", "Knowledge"]


async def setup(bot: NexusBot) -> None:
    """Load the cog and register the persistent buttons."""
    bot.add_dynamic_items(
        OpenEntryButton,
        ReadMoreButton,
        ClosestMatchButton,
        VoteButton,
        AnswerSelect,
        TopicsPageButton,
        TopicSelect,
    )
    await bot.add_cog(Knowledge(bot))
