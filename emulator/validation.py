"""Discord's request-body rules for what the bot sends, so the emulator rejects what Discord would.

Pure functions: plain JSON-like dicts in, a list of human-readable violations out (empty when the
body is valid). Every message starts with the JSON path of the offending value, for example
``commands[3].options[0].name: 'Query' must match ... and be lowercase``. The emulator turns a
non-empty list into a 400 response.

What is validated, because the bot sends it (found by reading cogs/ and recording every body
the bot sent to the emulator in the test suite), with Discord's limits the bot could hit:
- command sync: CHAT_INPUT commands (at most 100 per guild or globally, unique names), names
  (Discord's pattern, lowercase), descriptions; MESSAGE context-menu commands (at most 5 per
  guild or globally, unique names of 1-32 characters in any case and with spaces, an empty
  description, no options); options of types SUB_COMMAND,
  SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN and USER (at most 25 per level, unique names,
  Discord's nesting, required before optional), string and integer choices (at most 25),
  autocomplete, min/max_length of strings, min/max_value of integers,
  ``default_member_permissions``, ``dm_permission``, ``nsfw``, and the 4,000 characters of
  names, descriptions and choices;
- messages: content (2,000 characters), nonce, flags, tts, at most 10 embeds (title,
  description, color, footer text, author name, fields, image URL; 6,000 characters in all),
  ``allowed_mentions``, a reply's ``message_reference`` (type 0, a message id), attachments,
  and components: at most 5 action rows, each with 1-5
  buttons (styles 1-4, a label or an emoji) or one string select (1-25 options), every
  custom_id 1-100 characters and unique in its message; and no empty message;
- interaction responses: a callback type that fits the interaction (4-9), message data as
  above, autocomplete results (at most 25 choices), and modals (title, custom_id, 1-5 action
  rows each holding one text input);
- guild scheduled events: name, description, GUILD_ONLY privacy, an external event's location
  and end time, a start in the future.

Out of scope, because the bot sends none of it: USER context-menu commands, forwarded
messages (``message_reference`` type 1), the option types
CHANNEL, ROLE, MENTIONABLE, NUMBER and ATTACHMENT, localizations, ``contexts`` and
``integration_types``, link and premium buttons, user/role/mentionable/channel selects, layout
components (IS_COMPONENTS_V2), labels and text displays in modals, stickers, polls, embed URLs,
timestamps, thumbnails and icons, and PING interactions. A command, option, component or
callback type outside the lists above is refused with an error saying the emulator does not
model it (so a bot that starts sending one fails its tests until its rules are added here);
other fields are not checked.

Sources: discord-api-docs (application commands, message/embed limits, allowed mentions, component
reference, interaction responses) and what discord.py 2.7.1 actually serialises: ``None`` and empty
lists are treated as "not set" because discord.py sends ``"contexts": null``,
``"default_member_permissions": null`` and, from ``AppCommand.to_dict``, ``"choices": []``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Final, TypeGuard
from urllib.parse import urlsplit

__all__ = [
    "validate_command_sync",
    "validate_interaction_response",
    "validate_message",
    "validate_scheduled_event",
]

NOT_MODELLED: Final = (
    " (Discord allows others, which the bot does not send: see emulator.validation)"
)
"""Appended to the error for a type outside what the emulator models."""

# ---------------------------------------------------------------------------------------------
# Small checking helpers
# ---------------------------------------------------------------------------------------------


def _kind(value: object) -> str:
    """JSON-ish name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_set(value: object) -> bool:
    """Whether a field counts as present (discord.py sends null, [] and false for "unset")."""
    return value is not None and value is not False and value not in ("", [], {})


def _length_rule(min_len: int, max_len: int) -> str:
    if min_len <= 0:
        return f"at most {max_len} characters"
    if min_len == max_len:
        return f"exactly {min_len} characters"
    return f"{min_len}-{max_len} characters"


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


class _Report:
    """Collects violations; the typed checks return whether the value is usable afterwards."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(f"{path or 'body'}: {message}")

    def required(self, path: str, value: object, required: bool) -> bool:
        """False (after reporting when required) when the value is absent."""
        if value is None:
            if required:
                self.add(path, "is required")
            return False
        return True

    def string(
        self, path: str, value: object, max_len: int, *, min_len: int = 0, required: bool = False
    ) -> bool:
        if not self.required(path, value, required):
            return False
        if not isinstance(value, str):
            self.add(path, f"must be a string, not {_kind(value)}")
            return False
        if not min_len <= len(value) <= max_len:
            self.add(path, f"must be {_length_rule(min_len, max_len)} (got {len(value)})")
        return True

    def integer(
        self, path: str, value: object, low: int, high: int, *, required: bool = False
    ) -> bool:
        if not self.required(path, value, required):
            return False
        if not _is_int(value):
            self.add(path, f"must be an integer, not {_kind(value)}")
            return False
        if not low <= value <= high:
            self.add(path, f"must be between {low} and {high} (got {value})")
        return True

    def boolean(self, path: str, value: object) -> None:
        if value is not None and not isinstance(value, bool):
            self.add(path, f"must be a boolean, not {_kind(value)}")

    def obj(self, path: str, value: object, *, required: bool = False) -> dict[str, Any] | None:
        if not self.required(path, value, required):
            return None
        if not isinstance(value, dict):
            self.add(path, f"must be an object, not {_kind(value)}")
            return None
        return value

    def array(
        self,
        path: str,
        value: object,
        max_items: int,
        *,
        min_items: int = 0,
        required: bool = False,
    ) -> list[Any]:
        """The list (possibly empty); reports wrong types and item counts."""
        if not self.required(path, value, required):
            return []
        if not isinstance(value, list):
            self.add(path, f"must be an array, not {_kind(value)}")
            return []
        if not min_items <= len(value) <= max_items:
            rule = f"at most {max_items}" if min_items == 0 else f"{min_items}-{max_items}"
            self.add(path, f"must have {rule} items (got {len(value)})")
        return value

    def one_of(
        self,
        path: str,
        value: object,
        allowed: Mapping[int, str],
        *,
        required: bool = False,
        note: str = "",
    ) -> bool:
        """Whether `value` is a key of `allowed`; `note` follows the error (NOT_MODELLED)."""
        if not self.required(path, value, required):
            return False
        if not _is_int(value) or value not in allowed:
            listed = ", ".join(f"{k} ({v})" for k, v in allowed.items())
            self.add(path, f"{value!r} is not one of {listed}{note}")
            return False
        return True

    def ordered(self, path: str, low: object, high: object, low_key: str, high_key: str) -> None:
        if _is_number(low) and _is_number(high) and low > high:
            self.add(path, f"{low_key} ({low}) must not be greater than {high_key} ({high})")

    def url(self, path: str, value: object, schemes: Iterable[str], *, required: bool) -> None:
        if not self.string(path, value, 2048, required=required):
            return
        assert isinstance(value, str)
        parts = urlsplit(value)
        allowed = tuple(schemes)
        if parts.scheme not in allowed or not (parts.netloc or parts.path):
            self.add(path, f"{value!r} is not a well formed URL (scheme one of {allowed})")


def _objects(r: _Report, path: str, items: list[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, item) for each item of an array that is an object; reports the others."""
    for i, item in enumerate(items):
        data = r.obj(f"{path}[{i}]", item)
        if data is not None:
            yield f"{path}[{i}]", data


def _snowflake(value: object) -> bool:
    return (_is_int(value) and value >= 0) or (
        isinstance(value, str) and value.isascii() and value.isdigit()
    )


# ---------------------------------------------------------------------------------------------
# Application commands
# ---------------------------------------------------------------------------------------------

_CHAT_INPUT, _MESSAGE_COMMAND = 1, 3
_COMMAND_TYPES: Final[Mapping[int, str]] = {_CHAT_INPUT: "CHAT_INPUT", _MESSAGE_COMMAND: "MESSAGE"}
_MAX_COMMANDS: Final[Mapping[int, int]] = {
    _CHAT_INPUT: 100,  # per guild, and globally
    _MESSAGE_COMMAND: 5,
}

_SUB_COMMAND, _SUB_COMMAND_GROUP, _STRING, _INTEGER = 1, 2, 3, 4
_OPTION_TYPES: Final[Mapping[int, str]] = {
    1: "SUB_COMMAND",
    2: "SUB_COMMAND_GROUP",
    3: "STRING",
    4: "INTEGER",
    5: "BOOLEAN",
    6: "USER",
}
_VALUE_OPTION_TYPES: Final = frozenset(_OPTION_TYPES) - {_SUB_COMMAND, _SUB_COMMAND_GROUP}

# Which option types may carry a field (discord-api-docs "Valid Option Types" column).
_OPTION_FIELDS: Final[Mapping[str, frozenset[int]]] = {
    "options": frozenset({_SUB_COMMAND, _SUB_COMMAND_GROUP}),
    "choices": frozenset({_STRING, _INTEGER}),
    "autocomplete": frozenset({_STRING, _INTEGER}),
    "min_value": frozenset({_INTEGER}),
    "max_value": frozenset({_INTEGER}),
    "min_length": frozenset({_STRING}),
    "max_length": frozenset({_STRING}),
}

# Which option types may appear inside a command, a group and a subcommand.
_CHILDREN: Final[Mapping[str, tuple[frozenset[int], str]]] = {
    "command": (frozenset(_OPTION_TYPES), ""),
    "group": (
        frozenset({_SUB_COMMAND}),
        "a SUB_COMMAND_GROUP may only contain SUB_COMMAND options",
    ),
    "subcommand": (
        _VALUE_OPTION_TYPES,
        "a SUB_COMMAND cannot contain SUB_COMMAND or SUB_COMMAND_GROUP options",
    ),
}

_MAX_SAFE_INT: Final = 2**53 - 1
_MAX_COMMAND_CHARS: Final = 4000

# Discord: ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$ (unicode). Python's \w covers \p{L},
# \p{N} and "_"; the Devanagari and Thai blocks add their combining vowel signs.
_NAME_PATTERN_TEXT: Final = r"^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$"
_NAME_RE: Final = re.compile(r"[-_'\w\u0900-\u097f\u0e00-\u0e7f]{1,32}")


def _name(r: _Report, path: str, name: object) -> None:
    """A command or option name: the documented pattern, lowercase where possible."""
    if not r.string(path, name, 32, min_len=1, required=True):
        return
    assert isinstance(name, str)
    if not _NAME_RE.fullmatch(name) or any(ch.lower() != ch for ch in name):
        r.add(path, f"{name!r} must match {_NAME_PATTERN_TEXT} and be lowercase")


def _description(r: _Report, path: str, value: object) -> None:
    r.string(path, value, 100, min_len=1, required=True)


def _choice(r: _Report, path: str, choice: object, option_type: int | None) -> None:
    """One choice of a STRING or INTEGER option; of either (`option_type` None) when it is an
    autocomplete result, whose option the callback does not name."""
    data = r.obj(path, choice)
    if data is None:
        return
    r.string(f"{path}.name", data.get("name"), 100, min_len=1, required=True)
    value = data.get("value")
    if not r.required(f"{path}.value", value, True):
        return
    if option_type == _STRING or (option_type is None and isinstance(value, str)):
        r.string(f"{path}.value", value, 100)
    else:
        r.integer(f"{path}.value", value, -_MAX_SAFE_INT, _MAX_SAFE_INT)


def _option_fields(r: _Report, path: str, option: Mapping[str, Any], option_type: int) -> None:
    """Fields whose presence and shape depend on the option type."""
    type_name = _OPTION_TYPES[option_type]
    for field, allowed in _OPTION_FIELDS.items():
        if _is_set(option.get(field)) and option_type not in allowed:
            valid = ", ".join(_OPTION_TYPES[t] for t in sorted(allowed))
            r.add(f"{path}.{field}", f"not allowed on {type_name} options (only {valid})")

    if option_type in _OPTION_FIELDS["choices"]:
        choices = r.array(f"{path}.choices", option.get("choices"), 25)
        for i, choice in enumerate(choices):
            _choice(r, f"{path}.choices[{i}]", choice, option_type)
        r.boolean(f"{path}.autocomplete", option.get("autocomplete"))
        if choices and option.get("autocomplete") is True:
            r.add(f"{path}.autocomplete", "may not be true when choices are present")

    if option_type == _INTEGER:
        lo, hi = option.get("min_value"), option.get("max_value")
        r.integer(f"{path}.min_value", lo, -_MAX_SAFE_INT, _MAX_SAFE_INT)
        r.integer(f"{path}.max_value", hi, -_MAX_SAFE_INT, _MAX_SAFE_INT)
        r.ordered(path, lo, hi, "min_value", "max_value")

    if option_type == _STRING:
        lo, hi = option.get("min_length"), option.get("max_length")
        r.integer(f"{path}.min_length", lo, 0, 6000)
        r.integer(f"{path}.max_length", hi, 1, 6000)
        r.ordered(path, lo, hi, "min_length", "max_length")


def _options(r: _Report, path: str, options: object, parent: str) -> None:
    """One level of options: count, unique names, nesting, required-before-optional."""
    allowed, nesting_error = _CHILDREN[parent]
    names: set[str] = set()
    kinds: set[bool] = set()  # True = subcommand/group, False = value option
    optional_seen = False
    for opath, data in _objects(r, path, r.array(path, options, 25)):
        if not r.one_of(
            f"{opath}.type", data.get("type"), _OPTION_TYPES, required=True, note=NOT_MODELLED
        ):
            continue
        otype: int = data["type"]
        name = data.get("name")
        _name(r, f"{opath}.name", name)
        if isinstance(name, str):
            if name in names:
                r.add(f"{opath}.name", f"duplicate option name {name!r} at this level")
            names.add(name)
        _description(r, f"{opath}.description", data.get("description"))
        if otype not in allowed:
            r.add(f"{opath}.type", nesting_error)

        is_sub = otype in (_SUB_COMMAND, _SUB_COMMAND_GROUP)
        kinds.add(is_sub)
        if not is_sub:
            required = data.get("required")
            r.boolean(f"{opath}.required", required)
            if required is True and optional_seen:
                r.add(f"{opath}.required", "required options must be listed before optional ones")
            optional_seen = optional_seen or required is not True

        _option_fields(r, opath, data, otype)
        if is_sub:
            child = "group" if otype == _SUB_COMMAND_GROUP else "subcommand"
            _options(r, f"{opath}.options", data.get("options"), child)

    if len(kinds) > 1:
        r.add(path, "cannot mix SUB_COMMAND/SUB_COMMAND_GROUP options with other option types")


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _text_len(value: object) -> int:
    if value is None:
        return 0
    return len(value) if isinstance(value, str) else len(str(value))


def _command_chars(node: Mapping[str, Any]) -> int:
    """Characters Discord counts toward the 4000 limit: names, descriptions, choices."""
    total = _text_len(node.get("name")) + _text_len(node.get("description"))
    for choice in _list(node.get("choices")):
        if isinstance(choice, dict):
            total += _text_len(choice.get("name")) + _text_len(choice.get("value"))
    for option in _list(node.get("options")):
        if isinstance(option, dict):
            total += _command_chars(option)
    return total


def _permissions(r: _Report, path: str, value: object) -> None:
    """``default_member_permissions``: null, or a bit set as a string of digits (ints accepted)."""
    if value is None or (_is_int(value) and value >= 0):
        return
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        r.add(path, f"{value!r} must be null or a permission bit set as a string of digits")


def _command(r: _Report, path: str, cmd: Mapping[str, Any]) -> None:
    """One CHAT_INPUT command."""
    _name(r, f"{path}.name", cmd.get("name"))
    _description(r, f"{path}.description", cmd.get("description"))
    _options(r, f"{path}.options", cmd.get("options"), "command")
    chars = _command_chars(cmd)
    if chars > _MAX_COMMAND_CHARS:
        r.add(
            path,
            f"names, descriptions and choices total {chars} characters "
            f"(at most {_MAX_COMMAND_CHARS})",
        )
    _permissions(r, f"{path}.default_member_permissions", cmd.get("default_member_permissions"))
    for flag in ("dm_permission", "nsfw"):
        r.boolean(f"{path}.{flag}", cmd.get(flag))


def _message_command(r: _Report, path: str, cmd: Mapping[str, Any]) -> None:
    """One MESSAGE context-menu command: a name shown in the Apps menu (any case, spaces
    allowed), an empty description and no options."""
    r.string(f"{path}.name", cmd.get("name"), 32, min_len=1, required=True)
    if cmd.get("description") not in (None, ""):
        r.add(f"{path}.description", "must be empty for a MESSAGE command")
    if _is_set(cmd.get("options")):
        r.add(f"{path}.options", "a MESSAGE command takes no options")
    _permissions(r, f"{path}.default_member_permissions", cmd.get("default_member_permissions"))
    for flag in ("dm_permission", "nsfw"):
        r.boolean(f"{path}.{flag}", cmd.get(flag))


def validate_command_sync(commands: list[dict[str, Any]], *, guild: bool) -> list[str]:
    """Check a bulk-overwrite body (``PUT .../commands``) against Discord's command rules.

    ``guild`` tells whether the body targets a guild's commands (limits then apply per guild).
    """
    r = _Report()
    if not isinstance(commands, list):
        r.add("commands", f"must be an array of application commands, not {_kind(commands)}")
        return r.errors

    scope = "guild" if guild else "global"
    counts: dict[int, int] = dict.fromkeys(_COMMAND_TYPES, 0)
    seen: set[tuple[int, str]] = set()
    for path, data in _objects(r, "commands", commands):
        ctype = data.get("type")
        ctype = 1 if ctype is None else ctype
        if not r.one_of(f"{path}.type", ctype, _COMMAND_TYPES, note=NOT_MODELLED):
            continue
        counts[ctype] += 1
        if ctype == _CHAT_INPUT:
            _command(r, path, data)
        else:
            _message_command(r, path, data)
        name = data.get("name")
        if isinstance(name, str):
            if (ctype, name) in seen:
                kind = _COMMAND_TYPES[ctype]
                r.add(f"{path}.name", f"duplicate {scope} {kind} command name {name!r}")
            seen.add((ctype, name))

    for ctype, count in counts.items():
        if count > _MAX_COMMANDS[ctype]:
            r.add(
                "commands",
                f"at most {_MAX_COMMANDS[ctype]} {scope} {_COMMAND_TYPES[ctype]} commands "
                f"allowed (got {count})",
            )
    return r.errors


# ---------------------------------------------------------------------------------------------
# Messages: content, embeds, allowed mentions
# ---------------------------------------------------------------------------------------------

_MEDIA: Final = ("http", "https", "attachment")

# (dotted key inside an embed, min length, max length); each counts toward the 6000 total.
_EMBED_TEXT: Final[tuple[tuple[str, int, int], ...]] = (
    ("title", 0, 256),
    ("description", 0, 4096),
    ("footer.text", 1, 2048),
    ("author.name", 1, 256),
)
_EMBED_OBJECTS: Final = ("footer", "author", "image")
_MAX_EMBED_TOTAL: Final = 6000


def _dig(data: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    """(parent present, value) for ``a.b`` style keys."""
    *parents, last = dotted.split(".")
    node: Any = data
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return False, None
    return True, node.get(last)


def _embed(r: _Report, path: str, embed: object) -> int:
    """Validate one embed; returns the characters it counts toward the 6000 total."""
    data = r.obj(path, embed)
    if data is None:
        return 0
    for key in _EMBED_OBJECTS:
        r.obj(f"{path}.{key}", data.get(key))

    total = 0
    for key, min_len, max_len in _EMBED_TEXT:
        parent_present, value = _dig(data, key)
        required = parent_present and "." in key
        if r.string(f"{path}.{key}", value, max_len, min_len=min_len, required=required):
            total += len(value)
    image_present, image_url = _dig(data, "image.url")
    r.url(f"{path}.image.url", image_url, _MEDIA, required=image_present)

    for fpath, fdata in _objects(
        r, f"{path}.fields", r.array(f"{path}.fields", data.get("fields"), 25)
    ):
        for key, max_len in (("name", 256), ("value", 1024)):
            value = fdata.get(key)
            if r.string(f"{fpath}.{key}", value, max_len, min_len=1, required=True):
                assert isinstance(value, str)
                total += len(value)
        r.boolean(f"{fpath}.inline", fdata.get("inline"))

    r.integer(f"{path}.color", data.get("color"), 0, 0xFFFFFF)
    return total


_MENTION_KINDS: Final = frozenset({"roles", "users", "everyone"})


def _allowed_mentions(r: _Report, path: str, value: object) -> None:
    data = r.obj(path, value)
    if data is None:
        return
    parse = r.array(f"{path}.parse", data.get("parse"), 3)
    for i, kind in enumerate(parse):
        if kind not in _MENTION_KINDS:
            r.add(f"{path}.parse[{i}]", f"{kind!r} is not one of roles, users, everyone")
    for key in ("users", "roles"):
        ids = r.array(f"{path}.{key}", data.get(key), 100)
        for i, snowflake in enumerate(ids):
            if not _snowflake(snowflake):
                r.add(f"{path}.{key}[{i}]", f"{snowflake!r} is not a snowflake")
        if ids and key in parse:
            r.add(path, f"parse contains {key!r} and a {key} list is given; they are exclusive")
    r.boolean(f"{path}.replied_user", data.get("replied_user"))


def _message(r: _Report, prefix: str, payload: object, *, edit: bool) -> None:
    data = r.obj(prefix or "body", payload, required=True)
    if data is None:
        return
    at = partial(_join, prefix)

    content = data.get("content")
    r.string(at("content"), content, 2000)
    r.integer(at("flags"), data.get("flags"), 0, 2**63 - 1)

    nonce = data.get("nonce")
    if nonce is not None and not _is_int(nonce):
        r.string(at("nonce"), nonce, 25)
    for flag in ("tts", "enforce_nonce"):
        r.boolean(at(flag), data.get(flag))

    embeds = r.array(at("embeds"), data.get("embeds"), 10)
    embed_chars = sum(_embed(r, at(f"embeds[{i}]"), e) for i, e in enumerate(embeds))
    if embed_chars > _MAX_EMBED_TOTAL:
        r.add(at("embeds"), f"embed text totals {embed_chars} characters (at most 6000)")

    _allowed_mentions(r, at("allowed_mentions"), data.get("allowed_mentions"))
    _message_reference(r, at("message_reference"), data.get("message_reference"))
    components = data.get("components")
    _components(r, at("components"), components)
    attachments = r.array(at("attachments"), data.get("attachments"), 10)
    for i, attachment in enumerate(attachments):
        r.obj(at(f"attachments[{i}]"), attachment)

    has_body = any(_is_set(v) for v in (content, embeds, components, attachments))
    if not edit and not has_body:
        r.add(
            prefix or "body",
            "cannot send an empty message: give content, embeds, components or attachments",
        )


def _message_reference(r: _Report, path: str, value: object) -> None:
    """A reply's reference: the message replied to (type 0, DEFAULT; forwards not modelled)."""
    data = r.obj(path, value)
    if data is None:
        return
    r.one_of(f"{path}.type", data.get("type", 0), {0: "DEFAULT"}, note=NOT_MODELLED)
    if not _snowflake(data.get("message_id")):
        r.add(f"{path}.message_id", "must be a message id")
    for key in ("channel_id", "guild_id"):
        if data.get(key) is not None and not _snowflake(data[key]):
            r.add(f"{path}.{key}", "must be a snowflake")
    r.boolean(f"{path}.fail_if_not_exists", data.get("fail_if_not_exists"))


def validate_message(payload: dict[str, Any], *, edit: bool = False) -> list[str]:
    """Check a message body (create, edit, interaction response data, webhook followup).

    ``edit=True`` drops the "cannot send an empty message" rule, for checking a partial PATCH /
    UPDATE_MESSAGE body on its own; validate the merged result with the default to also catch an
    edit that leaves the message empty (Discord rejects that too).
    """
    r = _Report()
    _message(r, "", payload, edit=edit)
    return r.errors


# ---------------------------------------------------------------------------------------------
# Components: action rows of buttons or a string select
# ---------------------------------------------------------------------------------------------

_ACTION_ROW, _BUTTON, _STRING_SELECT, _TEXT_INPUT = 1, 2, 3, 4
_BUTTON_STYLES: Final[Mapping[int, str]] = {
    1: "PRIMARY",
    2: "SECONDARY",
    3: "SUCCESS",
    4: "DANGER",
}


def _custom_id(r: _Report, path: str, value: object, seen: set[str]) -> None:
    """1-100 characters, unique among the components of one message or modal."""
    if not r.string(path, value, 100, min_len=1, required=True):
        return
    assert isinstance(value, str)
    if value in seen:
        r.add(path, f"duplicate custom_id {value!r}")
    seen.add(value)


def _button(r: _Report, path: str, data: Mapping[str, Any], seen: set[str]) -> None:
    if not r.one_of(
        f"{path}.style", data.get("style"), _BUTTON_STYLES, required=True, note=NOT_MODELLED
    ):
        return
    r.string(f"{path}.label", data.get("label"), 80)
    r.obj(f"{path}.emoji", data.get("emoji"))
    r.boolean(f"{path}.disabled", data.get("disabled"))
    _custom_id(r, f"{path}.custom_id", data.get("custom_id"), seen)
    if not data.get("label") and not data.get("emoji"):
        r.add(path, "a button needs a label or an emoji")


def _select(r: _Report, path: str, data: Mapping[str, Any], seen: set[str]) -> None:
    """A string select: 1-25 options with unique values."""
    _custom_id(r, f"{path}.custom_id", data.get("custom_id"), seen)
    r.string(f"{path}.placeholder", data.get("placeholder"), 150)
    lo, hi = data.get("min_values"), data.get("max_values")
    r.integer(f"{path}.min_values", lo, 0, 25)
    r.integer(f"{path}.max_values", hi, 1, 25)
    r.ordered(path, lo, hi, "min_values", "max_values")
    r.boolean(f"{path}.disabled", data.get("disabled"))
    r.boolean(f"{path}.required", data.get("required"))

    options = r.array(f"{path}.options", data.get("options"), 25, min_items=1, required=True)
    values: set[str] = set()
    for opath, odata in _objects(r, f"{path}.options", options):
        r.string(f"{opath}.label", odata.get("label"), 100, min_len=1, required=True)
        value = odata.get("value")
        if r.string(f"{opath}.value", value, 100, min_len=1, required=True):
            assert isinstance(value, str)
            if value in values:
                r.add(f"{opath}.value", f"duplicate option value {value!r}")
            values.add(value)
        r.string(f"{opath}.description", odata.get("description"), 100)
        r.boolean(f"{opath}.default", odata.get("default"))
    if options and _is_int(hi) and hi > len(options):
        r.add(f"{path}.max_values", f"{hi} exceeds the number of options ({len(options)})")


def _action_row(r: _Report, path: str, row: Mapping[str, Any], seen: set[str]) -> None:
    """A message action row: 1-5 buttons, or exactly one select menu."""
    children = r.array(f"{path}.components", row.get("components"), 5, min_items=1, required=True)
    has_select = any(isinstance(c, dict) and c.get("type") == _STRING_SELECT for c in children)
    if has_select and len(children) > 1:
        r.add(f"{path}.components", "an action row with a select menu cannot hold anything else")
    for cpath, data in _objects(r, f"{path}.components", children):
        ctype = data.get("type")
        if ctype == _BUTTON:
            _button(r, cpath, data, seen)
        elif ctype == _STRING_SELECT:
            _select(r, cpath, data, seen)
        else:
            r.add(
                f"{cpath}.type",
                f"{ctype!r}: message action rows hold buttons (2) or string selects (3) only"
                + NOT_MODELLED,
            )


def _components(r: _Report, path: str, components: object) -> None:
    seen: set[str] = set()
    for rpath, data in _objects(r, path, r.array(path, components, 5)):
        if data.get("type") != _ACTION_ROW:
            r.add(
                f"{rpath}.type",
                f"{data.get('type')!r}: top-level components must be action rows (1)"
                + NOT_MODELLED,
            )
            continue
        _action_row(r, rpath, data, seen)


# ---------------------------------------------------------------------------------------------
# Modals: action rows of one text input each
# ---------------------------------------------------------------------------------------------

_TEXT_INPUT_STYLES: Final[Mapping[int, str]] = {1: "SHORT", 2: "PARAGRAPH"}


def _text_input(r: _Report, path: str, data: Mapping[str, Any], seen: set[str]) -> None:
    _custom_id(r, f"{path}.custom_id", data.get("custom_id"), seen)
    r.one_of(f"{path}.style", data.get("style"), _TEXT_INPUT_STYLES, required=True)
    r.string(f"{path}.label", data.get("label"), 45, min_len=1, required=True)
    lo, hi = data.get("min_length"), data.get("max_length")
    r.integer(f"{path}.min_length", lo, 0, 4000)
    r.integer(f"{path}.max_length", hi, 1, 4000)
    r.ordered(path, lo, hi, "min_length", "max_length")
    r.boolean(f"{path}.required", data.get("required"))
    r.string(f"{path}.value", data.get("value"), 4000)
    r.string(f"{path}.placeholder", data.get("placeholder"), 100)


def _modal_row(r: _Report, path: str, data: Mapping[str, Any], seen: set[str]) -> None:
    if data.get("type") != _ACTION_ROW:
        r.add(
            f"{path}.type",
            f"{data.get('type')!r}: modal components must be action rows (1)" + NOT_MODELLED,
        )
        return
    children = r.array(f"{path}.components", data.get("components"), 1, min_items=1, required=True)
    for cpath, cdata in _objects(r, f"{path}.components", children):
        if cdata.get("type") != _TEXT_INPUT:
            r.add(f"{cpath}.type", "action rows in a modal must hold one text input (4)")
        else:
            _text_input(r, cpath, cdata, seen)


def _modal(r: _Report, path: str, data: Mapping[str, Any]) -> None:
    r.string(f"{path}.title", data.get("title"), 45, min_len=1, required=True)
    r.string(f"{path}.custom_id", data.get("custom_id"), 100, min_len=1, required=True)
    seen: set[str] = set()
    components = r.array(
        f"{path}.components", data.get("components"), 5, min_items=1, required=True
    )
    for cpath, comp in _objects(r, f"{path}.components", components):
        _modal_row(r, cpath, comp, seen)


# ---------------------------------------------------------------------------------------------
# Interaction responses
# ---------------------------------------------------------------------------------------------

_INTERACTION_TYPES: Final[Mapping[int, str]] = {
    2: "APPLICATION_COMMAND",
    3: "MESSAGE_COMPONENT",
    4: "APPLICATION_COMMAND_AUTOCOMPLETE",
    5: "MODAL_SUBMIT",
}


def _no_data(r: _Report, data: object) -> None:
    """DEFERRED_UPDATE_MESSAGE carries no meaningful data."""


def _created_message(r: _Report, data: object) -> None:
    _message(r, "data", data, edit=False)


def _updated_message(r: _Report, data: object) -> None:
    if data is not None:
        _message(r, "data", data, edit=True)


def _deferred(r: _Report, data: object) -> None:
    body = r.obj("data", data)
    if body is not None:
        r.integer("data.flags", body.get("flags"), 0, 2**63 - 1)


def _autocomplete(r: _Report, data: object) -> None:
    body = r.obj("data", data, required=True)
    if body is None:
        return
    choices = r.array("data.choices", body.get("choices"), 25, required=True)
    for i, choice in enumerate(choices):
        _choice(r, f"data.choices[{i}]", choice, None)


def _modal_data(r: _Report, data: object) -> None:
    body = r.obj("data", data, required=True)
    if body is not None:
        _modal(r, "data", body)


@dataclass(frozen=True)
class _Callback:
    name: str
    allowed_for: frozenset[int]  # interaction types that may receive this callback
    check_data: Callable[[_Report, object], None]


_CALLBACKS: Final[Mapping[int, _Callback]] = {
    4: _Callback("CHANNEL_MESSAGE_WITH_SOURCE", frozenset({2, 3, 5}), _created_message),
    5: _Callback("DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE", frozenset({2, 3, 5}), _deferred),
    # 6/7 edit the message that carries the component; a modal opened from a button may too.
    6: _Callback("DEFERRED_UPDATE_MESSAGE", frozenset({3, 5}), _no_data),
    7: _Callback("UPDATE_MESSAGE", frozenset({3, 5}), _updated_message),
    8: _Callback("APPLICATION_COMMAND_AUTOCOMPLETE_RESULT", frozenset({4}), _autocomplete),
    9: _Callback("MODAL", frozenset({2, 3}), _modal_data),
}
_CALLBACK_NAMES: Final[Mapping[int, str]] = {k: v.name for k, v in _CALLBACKS.items()}


def validate_interaction_response(payload: dict[str, Any], *, interaction_type: int) -> list[str]:
    """Check an interaction callback body (``POST /interactions/{id}/{token}/callback``).

    ``interaction_type`` is the type of the interaction being answered (2 command, 3 component,
    4 autocomplete, 5 modal submit).
    """
    r = _Report()
    body = r.obj("body", payload, required=True)
    if body is None:
        return r.errors
    if interaction_type not in _INTERACTION_TYPES:
        r.add("interaction_type", f"{interaction_type!r} is not an interaction type")
        return r.errors
    if not r.one_of("type", body.get("type"), _CALLBACK_NAMES, required=True, note=NOT_MODELLED):
        return r.errors
    callback = _CALLBACKS[body["type"]]
    if interaction_type not in callback.allowed_for:
        r.add(
            "type",
            f"{callback.name} ({body['type']}) cannot answer an interaction of type "
            f"{_INTERACTION_TYPES[interaction_type]} ({interaction_type})",
        )
        return r.errors
    callback.check_data(r, body.get("data"))
    return r.errors


# --------------------------------------------------------------------------- scheduled events
EVENT_NAME_MAX = 100
EVENT_DESCRIPTION_MAX = 1000
EVENT_LOCATION_MAX = 100
GUILD_ONLY = 2
EXTERNAL = 3


def validate_scheduled_event(
    body: dict[str, Any], *, now: datetime, existing: dict[str, Any] | None = None
) -> list[str]:
    """Problems of a create (`existing` None) or modify body of a guild scheduled event, as
    Discord reports them: name 1-100, description at most 1,000, privacy GUILD_ONLY, an
    external event's location (1-100) and end time, a start in the future, the end after it."""
    problems: list[str] = []
    merged = {**(existing or {}), **body}
    name = merged.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= EVENT_NAME_MAX:
        problems.append(f"name: must be 1-{EVENT_NAME_MAX} characters")
    description = merged.get("description") or ""
    if len(description) > EVENT_DESCRIPTION_MAX:
        problems.append(f"description: must be at most {EVENT_DESCRIPTION_MAX} characters")
    if merged.get("privacy_level") != GUILD_ONLY:
        problems.append("privacy_level: must be 2 (GUILD_ONLY)")
    starts = _event_time(merged.get("scheduled_start_time"))
    if starts is None:
        problems.append("scheduled_start_time: must be an ISO 8601 timestamp")
    elif "scheduled_start_time" in body and starts <= now:
        problems.append("scheduled_start_time: cannot be in the past")
    if merged.get("entity_type") == EXTERNAL:
        location = (merged.get("entity_metadata") or {}).get("location")
        if not isinstance(location, str) or not 1 <= len(location) <= EVENT_LOCATION_MAX:
            problems.append(
                f"entity_metadata.location: required, 1-{EVENT_LOCATION_MAX} characters"
            )
        ends = _event_time(merged.get("scheduled_end_time"))
        if ends is None:
            problems.append("scheduled_end_time: required for external events")
        elif starts is not None and ends <= starts:
            problems.append("scheduled_end_time: must be after the start")
    return problems


def _event_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None
