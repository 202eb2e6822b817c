"""Render what the bot sent as plain terminal text for the sandbox REPL.

Pure functions over Discord JSON (messages as stored by the emulator, modal callback data):

* :func:`render_message` returns a :class:`RenderedMessage` with the text and the numbered
  :class:`Action` targets (buttons and select menus) so a person can click by typing ``1`` or pick
  ``2.1``; :meth:`RenderedMessage.resolve` turns such input into an action and chosen values.
* :func:`render_modal` lists a modal's fields as :class:`ModalField` so the REPL can prompt for
  each one; :func:`modal_submit_components` builds the ``data.components`` of the MODAL_SUBMIT
  interaction from the answers, in the shape discord.py parses (action rows of text inputs).

What is rendered is what the bot sends, which is what ``emulator.validation`` lets through:
content with its markup (user, role and channel mentions, custom emoji, timestamps, relative
ones included, command mentions), embeds (author, title and URL, description, fields, image and
thumbnail, footer and timestamp), attachments, the ephemeral flag, action rows of buttons (styles
1-4, shown by emoji and label, disabled marked) or one string select (options, defaults, a
min-max range), and modals made of action rows holding one text input each. Link and premium
buttons and every other component never reach a stored message or modal (validation refuses
them) and are not drawn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

__all__ = [
    "Action",
    "ModalField",
    "RenderedMessage",
    "SelectChoice",
    "modal_submit_components",
    "render_message",
    "render_modal",
]

_EPHEMERAL: Final = 1 << 6
_ACTION_ROW, _BUTTON, _STRING_SELECT, _TEXT_INPUT = 1, 2, 3, 4
_EMBED_BAR: Final = "│ "
_INDENT: Final = "  "


@dataclass(frozen=True)
class SelectChoice:
    """One option of a string select, numbered like ``2.1``."""

    number: str
    label: str
    value: str
    description: str | None = None
    default: bool = False


@dataclass(frozen=True)
class Action:
    """A clickable target of a rendered message: a button or a select menu."""

    number: int
    label: str
    kind: Literal["button", "select"]
    custom_id: str
    component_type: int
    disabled: bool = False
    options: tuple[SelectChoice, ...] = ()
    min_values: int = 1
    max_values: int = 1

    @property
    def values(self) -> tuple[str, ...]:
        """The option values of a string select (empty for buttons)."""
        return tuple(option.value for option in self.options)


@dataclass(frozen=True)
class RenderedMessage:
    """The readable text of a message and its numbered actions."""

    text: str
    actions: tuple[Action, ...]

    def action(self, number: int) -> Action | None:
        """The action shown as ``[number]``, if any."""
        return next((a for a in self.actions if a.number == number), None)

    def resolve(self, choice: str) -> tuple[Action, tuple[str, ...]] | None:
        """Parse REPL input: ``"1"`` (a button), ``"2.1"`` or ``"2.1,2.3"`` (select options).

        Returns the action and the selected option values, or None when nothing matches.
        """
        picks = [part.strip() for part in choice.replace(" ", ",").split(",") if part.strip()]
        if not picks:
            return None
        heads = {pick.split(".", 1)[0] for pick in picks}
        if len(heads) != 1 or not (head := heads.pop()).isdigit():
            return None
        action = self.action(int(head))
        if action is None:
            return None
        if picks == [head]:
            return action, ()
        by_number = {option.number: option.value for option in action.options}
        if any(pick not in by_number for pick in picks):
            return None
        return action, tuple(by_number[pick] for pick in picks)


@dataclass(frozen=True)
class ModalField:
    """One text input of a modal, in the order the REPL should ask for it."""

    number: int
    custom_id: str
    label: str
    style: int = 1  # 1 short, 2 paragraph
    required: bool = True
    min_length: int | None = None
    max_length: int | None = None
    value: str | None = None
    placeholder: str | None = None

    @property
    def paragraph(self) -> bool:
        """Whether the text input is multi-line."""
        return self.style == 2


# ---------------------------------------------------------------------------------------------
# Inline markup: mentions, custom emoji, timestamps, command mentions
# ---------------------------------------------------------------------------------------------

_MARKUP: Final = re.compile(
    r"<(?P<kind>@!?|@&|#)(?P<id>\d+)>"
    r"|<a?:(?P<emoji>\w+):\d+>"
    r"|<t:(?P<ts>-?\d+)(?::(?P<style>[tTdDfFR]))?>"
    r"|</(?P<command>[^:>]+):\d+>"
)
_TIME_FORMATS: Final[Mapping[str, str]] = {
    "t": "%H:%M",
    "T": "%H:%M:%S",
    "d": "%Y-%m-%d",
    "D": "%Y-%m-%d",
    "f": "%Y-%m-%d %H:%M",
    "F": "%Y-%m-%d %H:%M",
    "R": "%Y-%m-%d %H:%M",
}  # numeric on purpose: month / day names would depend on the process locale


_UNITS: tuple[tuple[str, int], ...] = (
    ("year", 365 * 86400),
    ("month", 30 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
    ("second", 1),
)


def relative(when: datetime, now: datetime) -> str:
    """A `<t:…:R>` timestamp as Discord's client shows it: "in 5 days", "3 hours ago"."""
    seconds = (when - now).total_seconds()
    size = abs(seconds)
    name, unit = next(((n, u) for n, u in _UNITS if size >= u), ("second", 1))
    count = max(round(size / unit), 1) if size >= 1 else 0
    if count == 0:
        return "now"
    amount = f"{'a' if count == 1 and name != 'hour' else count} {name}{'s' if count > 1 else ''}"
    if count == 1 and name == "hour":
        amount = "an hour"
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def _inline(text: str, names: Mapping[str, str] | None) -> str:
    """Replace Discord markup with readable text; ``names`` maps ids to display names."""
    lookup = names or {}

    def replace(match: re.Match[str]) -> str:
        if match["kind"]:
            sigil = "#" if match["kind"] == "#" else "@"
            return sigil + lookup.get(match["id"], match["id"])
        if match["emoji"]:
            return f":{match['emoji']}:"
        if match["ts"]:
            try:
                when = datetime.fromtimestamp(int(match["ts"]), tz=UTC)
            except (OverflowError, OSError, ValueError):
                return match[0]
            if match["style"] == "R":
                return relative(when, datetime.now(UTC))
            return when.strftime(_TIME_FORMATS[match["style"] or "f"]) + " UTC"
        return f"/{match['command']}"

    return _MARKUP.sub(replace, text)


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _dicts(value: object) -> Iterator[dict[str, Any]]:
    """The dict items of a JSON array (anything else is skipped)."""
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _emoji_text(emoji: object) -> str:
    if not isinstance(emoji, dict) or not emoji.get("name"):
        return ""
    name = str(emoji["name"])
    return f":{name}:" if emoji.get("id") else name


def _choices(options: object, number: int) -> tuple[SelectChoice, ...]:
    return tuple(
        SelectChoice(
            number=f"{number}.{i}",
            label=_str(opt.get("label")) or _str(opt.get("value")),
            value=_str(opt.get("value")),
            description=opt.get("description") or None,
            default=bool(opt.get("default")),
        )
        for i, opt in enumerate(_dicts(options), start=1)
    )


class _MessageRenderer:
    """Walks one message, numbering actions from ``start``."""

    def __init__(self, names: Mapping[str, str] | None, start: int, bold: bool) -> None:
        self.names = names
        self.next_number = start
        self.bold = bold
        self.actions: list[Action] = []

    def text(self, value: object) -> list[str]:
        return _inline(_str(value), self.names).splitlines()

    def strong(self, value: str) -> str:
        return f"\x1b[1m{value}\x1b[0m" if self.bold and value else value

    def _take_number(self) -> int:
        number = self.next_number
        self.next_number += 1
        return number

    # -- embeds -----------------------------------------------------------------------------

    def embed(self, embed: Mapping[str, Any]) -> list[str]:
        lines: list[str] = []
        author = embed.get("author")
        if isinstance(author, dict) and author.get("name"):
            lines.append(_inline(str(author["name"]), self.names))
        title = self.text(embed.get("title"))
        if title:
            url = f" ({embed['url']})" if embed.get("url") else ""
            lines.append(self.strong(" ".join(title)) + url)
        lines += self.text(embed.get("description"))
        for field in _dicts(embed.get("fields")):
            name = " ".join(self.text(field.get("name")))
            value = self.text(field.get("value")) or [""]
            lines.append(f"{self.strong(name)}: {value[0]}")
            lines += [_INDENT + line for line in value[1:]]
        for key in ("image", "thumbnail"):
            media = embed.get(key)
            if isinstance(media, dict) and media.get("url"):
                lines.append(f"[{key}] {media['url']}")
        footer = embed.get("footer")
        footer_text = " ".join(self.text(footer.get("text"))) if isinstance(footer, dict) else ""
        stamp = _str(embed.get("timestamp"))
        if footer_text or stamp:
            lines.append("— " + " • ".join(part for part in (footer_text, stamp) if part))
        return [_EMBED_BAR + line for line in lines] or [_EMBED_BAR.rstrip()]

    # -- interactive components ---------------------------------------------------------------

    def button(self, data: Mapping[str, Any]) -> str:
        label = " ".join(
            part for part in (_emoji_text(data.get("emoji")), _str(data.get("label"))) if part
        )
        action = Action(
            number=self._take_number(),
            label=label,
            kind="button",
            custom_id=_str(data.get("custom_id")),
            component_type=_BUTTON,
            disabled=bool(data.get("disabled")),
        )
        self.actions.append(action)
        shown = f"[{action.number}] {label or '(no label)'}"
        return shown + (" (disabled)" if action.disabled else "")

    def select(self, data: Mapping[str, Any]) -> list[str]:
        number = self._take_number()
        low, high = data.get("min_values"), data.get("max_values")
        low = low if isinstance(low, int) else 1
        high = high if isinstance(high, int) else 1
        action = Action(
            number=number,
            label=_str(data.get("placeholder")) or "Select…",
            kind="select",
            custom_id=_str(data.get("custom_id")),
            component_type=_STRING_SELECT,
            disabled=bool(data.get("disabled")),
            options=_choices(data.get("options"), number),
            min_values=low,
            max_values=high,
        )
        self.actions.append(action)
        notes: list[str] = []
        if (low, high) != (1, 1):
            notes.append(f"pick {low}-{high}")
        if action.disabled:
            notes.append("disabled")
        head = f"[{number}] {action.label} ▾" + (f" ({', '.join(notes)})" if notes else "")
        lines = [head]
        for option in action.options:
            line = f"{_INDENT * 2}{option.number} {option.label}"
            if option.description:
                line += f" — {option.description}"
            lines.append(line + (" (default)" if option.default else ""))
        return lines

    def action_row(self, row: Mapping[str, Any]) -> list[str]:
        lines: list[str] = []
        buttons: list[str] = []
        for child in _dicts(row.get("components")):
            if child.get("type") == _BUTTON:
                buttons.append(self.button(child))
            elif child.get("type") == _STRING_SELECT:
                lines += self.select(child)
        return ["  ".join(buttons), *lines] if buttons else lines


def render_message(
    msg: Mapping[str, Any],
    *,
    author: str | None = None,
    names: Mapping[str, str] | None = None,
    start: int = 1,
    bold: bool = False,
) -> RenderedMessage:
    """Render a message object (or message create / response data) as terminal text.

    ``author`` adds a header line (indenting the body); ``names`` maps user / role / channel ids to
    names for ``<@id>``, ``<@&id>`` and ``<#id>``; actions are numbered from ``start`` so several
    messages on screen can share one numbering; ``bold`` wraps titles in ANSI bold.
    """
    r = _MessageRenderer(names, start, bold)
    lines: list[str] = []
    replied = msg.get("referenced_message")
    if isinstance(replied, Mapping):
        who = (replied.get("author") or {}).get("username", "?")
        said = " ".join(str(replied.get("content") or "").split())
        lines.append(f"↪ replying to {who}: {said[:60] + ('…' if len(said) > 60 else '')}")
    lines += r.text(msg.get("content"))
    for embed in _dicts(msg.get("embeds")):
        lines += r.embed(embed)
    for attachment in _dicts(msg.get("attachments")):
        name = attachment.get("filename") or attachment.get("url") or attachment.get("id")
        lines.append(f"[attachment] {name}")
    for row in _dicts(msg.get("components")):
        if row.get("type") == _ACTION_ROW:
            lines += r.action_row(row)

    flags = msg.get("flags")
    ephemeral = isinstance(flags, int) and bool(flags & _EPHEMERAL)
    if author is not None:
        header = author + (" (only you can see this)" if ephemeral else "")
        lines = [r.strong(header)] + [_INDENT + line if line else line for line in lines]
    elif ephemeral:
        lines.append("(only you can see this)")
    return RenderedMessage(text="\n".join(lines), actions=tuple(r.actions))


# ---------------------------------------------------------------------------------------------
# Modals
# ---------------------------------------------------------------------------------------------


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _modal_field(number: int, comp: Mapping[str, Any]) -> ModalField:
    required = comp.get("required")
    return ModalField(
        number=number,
        custom_id=_str(comp.get("custom_id")),
        label=_str(comp.get("label")),
        style=_int_or_none(comp.get("style")) or 1,
        required=True if required is None else bool(required),  # Discord's default: required
        min_length=_int_or_none(comp.get("min_length")),
        max_length=_int_or_none(comp.get("max_length")),
        value=comp.get("value") or None,
        placeholder=comp.get("placeholder") or None,
    )


def _describe_field(field: ModalField) -> list[str]:
    traits = ["paragraph" if field.paragraph else "short"]
    traits.append("required" if field.required else "optional")
    low, high = field.min_length, field.max_length
    if low is not None or high is not None:
        traits.append(f"{low or 0}-{high if high is not None else '…'} characters")
    lines = [f"{field.number}. {field.label or field.custom_id} ({', '.join(traits)})"]
    if field.placeholder:
        lines.append(f"{_INDENT * 2}placeholder: {field.placeholder}")
    if field.value:
        lines.append(f"{_INDENT * 2}prefilled: {field.value!r}")
    return lines


def render_modal(modal_data: Mapping[str, Any]) -> tuple[str, list[ModalField]]:
    """Render a MODAL callback's ``data``: its title and numbered fields to ask for."""
    fields: list[ModalField] = []
    lines = [f"Modal: {_str(modal_data.get('title'))}"]
    for row in _dicts(modal_data.get("components")):
        if row.get("type") != _ACTION_ROW:
            continue
        for comp in _dicts(row.get("components")):
            if comp.get("type") == _TEXT_INPUT:
                field = _modal_field(len(fields) + 1, comp)
                fields.append(field)
                lines += [_INDENT + line for line in _describe_field(field)]
    return "\n".join(lines), fields


def modal_submit_components(
    fields: Sequence[ModalField], answers: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Build MODAL_SUBMIT ``data.components`` from answers keyed by custom_id (a missing answer
    is submitted empty): one action row per text input, as discord.py's ``Modal._refresh``
    expects."""
    return [
        {
            "type": _ACTION_ROW,
            "components": [
                {
                    "type": _TEXT_INPUT,
                    "custom_id": field.custom_id,
                    "value": answers.get(field.custom_id, ""),
                }
            ],
        }
        for field in fields
    ]
