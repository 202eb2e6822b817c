"""Shared Discord glue: inert user text, and components handled by `DynamicItem` classes."""

from __future__ import annotations

from typing import Any

import discord


def dynamic_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A view of DynamicItems, already stopped so discord.py does not keep it in memory.

    Clicks are dispatched through `bot.add_dynamic_items` by custom_id, on any message and
    after restarts; storing every sent view (ephemeral ones for 15 minutes) only grew memory
    and garbage-collection pauses under load.
    """
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view


def inert(text: str) -> str:
    """User text made safe to echo: Markdown escaped, and no `@` that could mention anyone."""
    return discord.utils.escape_markdown(text).replace("@", "@\u200b")
