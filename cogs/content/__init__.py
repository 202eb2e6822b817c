"""`/content`: moderators add, edit, remove, revert and reload knowledge entries, edit the
learner questions and misspellings that search matches, and work through the gap inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.content._forms import ConfirmRemoveButton, EditAgainButton
from cogs.content._group import Content, ContentGroup
from cogs.content._inbox import INBOX_ITEMS

if TYPE_CHECKING:
    from bot.app import NexusBot


async def setup(bot: NexusBot) -> None:
    """Register the group and the persistent buttons."""
    bot.add_dynamic_items(EditAgainButton, ConfirmRemoveButton, *INBOX_ITEMS)
    bot.tree.add_command(ContentGroup())
    await bot.add_cog(Content(bot))


async def teardown(bot: NexusBot) -> None:
    """Remove the group added in setup."""
    bot.tree.remove_command("content")
