"""Shared Discord glue: inert user text, components handled by `DynamicItem` classes, forms."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, Self

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


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """A button that works on old messages and after restarts (dispatched by custom_id; see
    `dynamic_view`). A subclass gives its custom_id `template` and says in `from_match` how a
    click's match, and the label the button was shown with, rebuild it."""

    @classmethod
    def from_match(cls, match: re.Match[str], label: str | None) -> Self:
        """The button a click on `match` was made on."""
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls,
        _interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> Self:
        """Rebuild the button from a click."""
        return cls.from_match(match, item.label if isinstance(item, discord.ui.Button) else None)


class EntryButton(PersistentButton, template=r"(?!)"):
    """A button that acts on one knowledge entry; its custom_id is `<prefix>:<slug>`.

    Subclasses name the prefix and default label and implement `callback`:
    `class ReadMore(EntryButton, prefix="learn:more", label="Read more"): ...`
    """

    prefix: str
    label: str
    style: discord.ButtonStyle

    def __init_subclass__(
        cls,
        *,
        prefix: str,
        label: str = "Open",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        super().__init_subclass__(template=rf"{re.escape(prefix)}:(?P<slug>[a-z0-9-]{{1,64}})")
        cls.prefix, cls.label, cls.style = prefix, label, style

    def __init__(self, slug: str, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=(label or self.label)[:80],
                style=self.style,
                custom_id=f"{self.prefix}:{slug}",
            )
        )
        self.slug = slug

    @classmethod
    def from_match(cls, match: re.Match[str], label: str | None) -> Self:
        """Rebuild the button from a click (keeping the label it was shown with)."""
        return cls(match["slug"], label)


class Listed(Protocol):
    """What an entry select shows of an entry (an `Entry` or a search `Hit`)."""

    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def category(self) -> str: ...


class EntrySelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"(?!)"):
    """A select of entries that works on old messages and after restarts (dispatched by
    custom_id, like `PersistentButton`). A subclass gives its template and says in
    `from_match` how a choice rebuilds it; its options are only needed to show it."""

    def __init__(self, custom_id: str, placeholder: str, entries: Iterable[Listed] = ()) -> None:
        options = [
            discord.SelectOption(label=e.title[:100], value=e.slug, description=e.category[:100])
            for e in entries
        ]
        super().__init__(
            discord.ui.Select(
                placeholder=placeholder,
                custom_id=custom_id,
                options=options or [discord.SelectOption(label="-", value="-")],
            )
        )

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """The select a choice's `match` was made on."""
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls,
        _interaction: discord.Interaction[Any],
        _item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> Self:
        """Rebuild the select from a choice."""
        return cls.from_match(match)


def chosen(interaction: discord.Interaction[Any]) -> str:
    """The value picked in a select ("-" when none)."""
    return str((payload(interaction).get("values") or ["-"])[0])


def payload(interaction: discord.Interaction[Any]) -> Mapping[str, Any]:
    """The interaction's raw data (empty when it has none)."""
    return interaction.data or {}


def form_values(data: Mapping[str, Any]) -> dict[str, str]:
    """What was typed into a submitted form, by field custom_id (action rows or labels)."""
    values: dict[str, str] = {}
    for row in data.get("components") or []:
        inner = row.get("components") or ([row["component"]] if "component" in row else [])
        for field in inner:
            if "custom_id" in field:
                values[field["custom_id"]] = str(field.get("value") or "")
    return values
