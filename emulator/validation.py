"""Discord's request-body rules, so the sandbox rejects what real Discord would reject.

Pure functions: plain JSON-like dicts in, a list of human-readable violations out (empty when the
body is valid). Every message starts with the JSON path of the offending value, for example
``commands[3].options[0].name: 'Query' must match ... and be lowercase``. The emulator turns a
non-empty list into a 400 response.

Sources: discord-api-docs (application commands, message/embed limits, allowed mentions, component
reference, interaction responses) and what discord.py 2.7.1 actually serialises: ``None`` and empty
lists are treated as "not set" because discord.py sends ``"contexts": null``,
``"default_member_permissions": null`` and, from ``AppCommand.to_dict``, ``"choices": []``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Final, TypeGuard
from urllib.parse import urlsplit

__all__ = [
    "IS_COMPONENTS_V2",
    "validate_command_sync",
    "validate_interaction_response",
    "validate_message",
]

IS_COMPONENTS_V2: Final = 1 << 15
"""Message flag that switches a message to the layout components (text displays, containers…)."""

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
        assert isinstance(value, int)
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
        self, path: str, value: object, allowed: Mapping[int, str], *, required: bool = False
    ) -> bool:
        if not self.required(path, value, required):
            return False
        if not _is_int(value) or value not in allowed:
            listed = ", ".join(f"{k} ({v})" for k, v in allowed.items())
            self.add(path, f"{value!r} is not one of {listed}")
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


def _snowflake(value: object) -> bool:
    return (_is_int(value) and value >= 0) or (
        isinstance(value, str) and value.isascii() and value.isdigit()
    )


# ---------------------------------------------------------------------------------------------
# Application commands
# ---------------------------------------------------------------------------------------------

_COMMAND_TYPES: Final[Mapping[int, str]] = {1: "CHAT_INPUT", 2: "USER", 3: "MESSAGE"}
_COMMAND_LIMITS: Final[Mapping[int, int]] = {1: 100, 2: 5, 3: 5}

_SUB_COMMAND, _SUB_COMMAND_GROUP = 1, 2
_OPTION_TYPES: Final[Mapping[int, str]] = {
    1: "SUB_COMMAND",
    2: "SUB_COMMAND_GROUP",
    3: "STRING",
    4: "INTEGER",
    5: "BOOLEAN",
    6: "USER",
    7: "CHANNEL",
    8: "ROLE",
    9: "MENTIONABLE",
    10: "NUMBER",
    11: "ATTACHMENT",
}
_VALUE_OPTION_TYPES: Final = frozenset(range(3, 12))

# Which option types may carry a field (discord-api-docs "Valid Option Types" column).
_OPTION_FIELDS: Final[Mapping[str, frozenset[int]]] = {
    "options": frozenset({_SUB_COMMAND, _SUB_COMMAND_GROUP}),
    "choices": frozenset({3, 4, 10}),
    "autocomplete": frozenset({3, 4, 10}),
    "channel_types": frozenset({7}),
    "min_value": frozenset({4, 10}),
    "max_value": frozenset({4, 10}),
    "min_length": frozenset({3}),
    "max_length": frozenset({3}),
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
_CHANNEL_TYPES: Final = frozenset({0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16})
_CONTEXTS: Final[Mapping[int, str]] = {0: "GUILD", 1: "BOT_DM", 2: "PRIVATE_CHANNEL"}
_INTEGRATION_TYPES: Final[Mapping[int, str]] = {0: "GUILD_INSTALL", 1: "USER_INSTALL"}
_LOCALES: Final = frozenset(
    {
        "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu",
        "nl", "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru",
        "uk", "hi", "th", "zh-CN", "ja", "zh-TW", "ko",
    }
)  # fmt: skip
_MAX_COMMAND_CHARS: Final = 4000

# Discord: ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$ (unicode). Python's \w covers \p{L},
# \p{N} and "_"; the Devanagari and Thai blocks add their combining vowel signs.
_NAME_PATTERN_TEXT: Final = r"^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$"
_NAME_RE: Final = re.compile(r"[-_'\w\u0900-\u097f\u0e00-\u0e7f]{1,32}")


def _chat_input_name(r: _Report, path: str, name: object, *, required: bool = True) -> None:
    """CHAT_INPUT command / option name: the documented pattern, lowercase where possible."""
    if not r.string(path, name, 32, min_len=1, required=required):
        return
    assert isinstance(name, str)
    if not _NAME_RE.fullmatch(name) or any(ch.lower() != ch for ch in name):
        r.add(path, f"{name!r} must match {_NAME_PATTERN_TEXT} and be lowercase")


def _context_menu_name(r: _Report, path: str, name: object, *, required: bool = True) -> None:
    r.string(path, name, 32, min_len=1, required=required)


def _description(r: _Report, path: str, value: object, *, required: bool = True) -> None:
    r.string(path, value, 100, min_len=1, required=required)


def _localizations(r: _Report, path: str, value: object, check: Callable[..., None]) -> None:
    """A ``{locale: text}`` dictionary (or null) whose values obey ``check``."""
    mapping = r.obj(path, value)
    for locale, text in (mapping or {}).items():
        if locale not in _LOCALES:
            r.add(path, f"{locale!r} is not an available locale")
        check(r, f"{path}.{locale}", text, required=True)


def _choice(r: _Report, path: str, choice: object, option_type: int | None) -> None:
    """One choice (command option choice or autocomplete result)."""
    data = r.obj(path, choice)
    if data is None:
        return
    r.string(f"{path}.name", data.get("name"), 100, min_len=1, required=True)
    _localizations(r, f"{path}.name_localizations", data.get("name_localizations"), _choice_name)
    value = data.get("value")
    if not r.required(f"{path}.value", value, True):
        return
    if option_type == 3 or (option_type is None and isinstance(value, str)):
        r.string(f"{path}.value", value, 100)
    elif option_type == 4:
        r.integer(f"{path}.value", value, -_MAX_SAFE_INT, _MAX_SAFE_INT)
    elif not _is_number(value):
        expected = "a number" if option_type == 10 else "a string, integer or number"
        r.add(f"{path}.value", f"must be {expected}, not {_kind(value)}")


def _choice_name(r: _Report, path: str, value: object, *, required: bool = True) -> None:
    r.string(path, value, 100, min_len=1, required=required)


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

    if option_type in _OPTION_FIELDS["min_value"]:
        lo, hi = option.get("min_value"), option.get("max_value")
        for key, value in (("min_value", lo), ("max_value", hi)):
            if option_type == 4:
                r.integer(f"{path}.{key}", value, -_MAX_SAFE_INT, _MAX_SAFE_INT)
            elif value is not None and not _is_number(value):
                r.add(f"{path}.{key}", f"must be a number, not {_kind(value)}")
            elif value is not None and abs(value) > 2**53:
                r.add(f"{path}.{key}", f"must be between -2^53 and 2^53 (got {value})")
        r.ordered(path, lo, hi, "min_value", "max_value")

    if option_type in _OPTION_FIELDS["min_length"]:
        lo, hi = option.get("min_length"), option.get("max_length")
        r.integer(f"{path}.min_length", lo, 0, 6000)
        r.integer(f"{path}.max_length", hi, 1, 6000)
        r.ordered(path, lo, hi, "min_length", "max_length")

    if option_type in _OPTION_FIELDS["channel_types"]:
        channel_types = r.array(f"{path}.channel_types", option.get("channel_types"), 20)
        for i, ctype in enumerate(channel_types):
            if not _is_int(ctype) or ctype not in _CHANNEL_TYPES:
                r.add(f"{path}.channel_types[{i}]", f"{ctype!r} is not a channel type")


def _options(r: _Report, path: str, options: object, parent: str) -> None:
    """One level of options: count, unique names, nesting, required-before-optional."""
    allowed, nesting_error = _CHILDREN[parent]
    names: set[str] = set()
    kinds: set[bool] = set()  # True = subcommand/group, False = value option
    optional_seen = False
    for i, option in enumerate(r.array(path, options, 25)):
        opath = f"{path}[{i}]"
        data = r.obj(opath, option)
        if data is None or not r.one_of(
            f"{opath}.type", data.get("type"), _OPTION_TYPES, required=True
        ):
            continue
        otype: int = data["type"]
        name = data.get("name")
        _chat_input_name(r, f"{opath}.name", name)
        if isinstance(name, str):
            if name in names:
                r.add(f"{opath}.name", f"duplicate option name {name!r} at this level")
            names.add(name)
        _description(r, f"{opath}.description", data.get("description"))
        _localizations(
            r, f"{opath}.name_localizations", data.get("name_localizations"), _chat_input_name
        )
        _localizations(
            r,
            f"{opath}.description_localizations",
            data.get("description_localizations"),
            _description,
        )
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


def _enum_list(r: _Report, path: str, value: object, allowed: Mapping[int, str]) -> None:
    for i, item in enumerate(r.array(path, value, len(allowed))):
        r.one_of(f"{path}[{i}]", item, allowed)


def _permissions(r: _Report, path: str, value: object) -> None:
    """``default_member_permissions``: null, or a bit set as a string of digits (ints accepted)."""
    if value is None or (_is_int(value) and value >= 0):
        return
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        r.add(path, f"{value!r} must be null or a permission bit set as a string of digits")


def _command(r: _Report, path: str, cmd: Mapping[str, Any], ctype: int) -> None:
    """One application command of a known type."""
    chat_input = ctype == 1
    name_check = _chat_input_name if chat_input else _context_menu_name
    name_check(r, f"{path}.name", cmd.get("name"))
    _localizations(r, f"{path}.name_localizations", cmd.get("name_localizations"), name_check)

    if chat_input:
        _description(r, f"{path}.description", cmd.get("description"))
        _localizations(
            r,
            f"{path}.description_localizations",
            cmd.get("description_localizations"),
            _description,
        )
        _options(r, f"{path}.options", cmd.get("options"), "command")
        chars = _command_chars(cmd)
        if chars > _MAX_COMMAND_CHARS:
            r.add(
                path,
                f"names, descriptions and choices total {chars} characters "
                f"(at most {_MAX_COMMAND_CHARS})",
            )
    else:
        if cmd.get("description") not in (None, ""):
            r.add(f"{path}.description", f"must be empty for {_COMMAND_TYPES[ctype]} commands")
        if _is_set(cmd.get("options")):
            r.add(f"{path}.options", "only CHAT_INPUT commands can have options")

    _permissions(r, f"{path}.default_member_permissions", cmd.get("default_member_permissions"))
    for flag in ("dm_permission", "nsfw", "default_permission"):
        r.boolean(f"{path}.{flag}", cmd.get(flag))
    _enum_list(r, f"{path}.contexts", cmd.get("contexts"), _CONTEXTS)
    _enum_list(r, f"{path}.integration_types", cmd.get("integration_types"), _INTEGRATION_TYPES)


def validate_command_sync(commands: list[dict[str, Any]], *, guild: bool) -> list[str]:
    """Check a bulk-overwrite body (``PUT .../commands``) against Discord's command rules.

    ``guild`` tells whether the body targets a guild's commands (limits then apply per guild).
    """
    r = _Report()
    if not isinstance(commands, list):
        r.add("commands", f"must be an array of application commands, not {_kind(commands)}")
        return r.errors

    scope = "guild" if guild else "global"
    counts: Counter[int] = Counter()
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        path = f"commands[{i}]"
        data = r.obj(path, cmd)
        if data is None:
            continue
        ctype = data.get("type")
        ctype = 1 if ctype is None else ctype
        if not r.one_of(f"{path}.type", ctype, _COMMAND_TYPES):
            continue
        counts[ctype] += 1
        _command(r, path, data, ctype)
        name = data.get("name")
        if isinstance(name, str):
            if (ctype, name) in seen:
                kind = _COMMAND_TYPES[ctype]
                r.add(f"{path}.name", f"duplicate {scope} {kind} command name {name!r}")
            seen.add((ctype, name))

    for ctype, limit in _COMMAND_LIMITS.items():
        if counts[ctype] > limit:
            kind = _COMMAND_TYPES[ctype]
            r.add(
                "commands",
                f"at most {limit} {scope} {kind} commands allowed (got {counts[ctype]})",
            )
    return r.errors


# ---------------------------------------------------------------------------------------------
# Messages: content, embeds, allowed mentions
# ---------------------------------------------------------------------------------------------

_WEB: Final = ("http", "https")
_MEDIA: Final = ("http", "https", "attachment")

# (dotted key inside an embed, min length, max length); each counts toward the 6000 total.
_EMBED_TEXT: Final[tuple[tuple[str, int, int], ...]] = (
    ("title", 0, 256),
    ("description", 0, 4096),
    ("footer.text", 1, 2048),
    ("author.name", 1, 256),
)
# (dotted key, allowed schemes, required when its parent object is present)
_EMBED_URLS: Final[tuple[tuple[str, tuple[str, ...], bool], ...]] = (
    ("url", _WEB, False),
    ("author.url", _WEB, False),
    ("author.icon_url", _MEDIA, False),
    ("footer.icon_url", _MEDIA, False),
    ("image.url", _MEDIA, True),
    ("thumbnail.url", _MEDIA, True),
)
_EMBED_OBJECTS: Final = ("footer", "author", "image", "thumbnail", "video", "provider")
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
    for key, schemes, needed in _EMBED_URLS:
        parent_present, value = _dig(data, key)
        r.url(f"{path}.{key}", value, schemes, required=parent_present and needed)

    for i, field in enumerate(r.array(f"{path}.fields", data.get("fields"), 25)):
        fpath = f"{path}.fields[{i}]"
        fdata = r.obj(fpath, field)
        if fdata is None:
            continue
        for key, max_len in (("name", 256), ("value", 1024)):
            value = fdata.get(key)
            if r.string(f"{fpath}.{key}", value, max_len, min_len=1, required=True):
                assert isinstance(value, str)
                total += len(value)
        r.boolean(f"{fpath}.inline", fdata.get("inline"))

    r.integer(f"{path}.color", data.get("color"), 0, 0xFFFFFF)
    timestamp = data.get("timestamp")
    if r.string(f"{path}.timestamp", timestamp, 64):
        assert isinstance(timestamp, str)
        try:
            datetime.fromisoformat(timestamp)
        except ValueError:
            r.add(f"{path}.timestamp", f"{timestamp!r} is not an ISO8601 timestamp")
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
    flags = data.get("flags")
    r.integer(at("flags"), flags, 0, 2**63 - 1)
    v2 = _is_int(flags) and bool(flags & IS_COMPONENTS_V2)

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
    components = data.get("components")
    if v2:
        _components_v2(r, at("components"), components)
    else:
        _components_v1(r, at("components"), components)
    attachments = r.array(at("attachments"), data.get("attachments"), 10)
    for i, attachment in enumerate(attachments):
        r.obj(at(f"attachments[{i}]"), attachment)
    stickers = r.array(at("sticker_ids"), data.get("sticker_ids"), 3)
    poll = r.obj(at("poll"), data.get("poll"))

    if v2:
        for key, value in (("content", content), ("embeds", embeds), ("poll", poll)):
            if _is_set(value):
                r.add(at(key), "cannot be used when flags has IS_COMPONENTS_V2 (1 << 15)")
    has_body = any(_is_set(v) for v in (content, embeds, components, attachments, stickers, poll))
    if not edit and not has_body:
        r.add(
            prefix or "body",
            "cannot send an empty message: give content, embeds, components, "
            "attachments, sticker_ids or a poll",
        )


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
# Components
# ---------------------------------------------------------------------------------------------

_BUTTON = 2
_TEXT_INPUT = 4
_SELECT_TYPES: Final[Mapping[int, str]] = {
    3: "string select",
    5: "user select",
    6: "role select",
    7: "mentionable select",
    8: "channel select",
}
_LINK, _PREMIUM = 5, 6
_BUTTON_STYLES: Final[Mapping[int, str]] = {
    1: "PRIMARY",
    2: "SECONDARY",
    3: "SUCCESS",
    4: "DANGER",
    5: "LINK",
    6: "PREMIUM",
}
_DEFAULT_VALUE_TYPES: Final = frozenset({"user", "role", "channel"})


@dataclass
class _Components:
    """State shared by all components of one message or modal."""

    custom_ids: set[str]
    count: int = 0
    text_chars: int = 0


def _custom_id(r: _Report, path: str, value: object, state: _Components) -> None:
    if not r.string(path, value, 100, min_len=1, required=True):
        return
    assert isinstance(value, str)
    if value in state.custom_ids:
        r.add(path, f"duplicate custom_id {value!r}")
    state.custom_ids.add(value)


def _forbid(r: _Report, path: str, data: Mapping[str, Any], keys: Iterable[str], why: str) -> None:
    for key in keys:
        if _is_set(data.get(key)):
            r.add(f"{path}.{key}", why)


def _button(r: _Report, path: str, data: Mapping[str, Any], state: _Components) -> None:
    style = data.get("style")
    if not r.one_of(f"{path}.style", style, _BUTTON_STYLES, required=True):
        return
    r.string(f"{path}.label", data.get("label"), 80)
    r.obj(f"{path}.emoji", data.get("emoji"))
    r.boolean(f"{path}.disabled", data.get("disabled"))
    if style == _LINK:
        r.url(f"{path}.url", data.get("url"), ("http", "https", "discord"), required=True)
        _forbid(r, path, data, ("custom_id", "sku_id"), "not allowed on link buttons (style 5)")
    elif style == _PREMIUM:
        if not _snowflake(data.get("sku_id")):
            r.add(f"{path}.sku_id", "premium buttons (style 6) need a sku_id")
        _forbid(
            r,
            path,
            data,
            ("custom_id", "label", "url", "emoji"),
            "not allowed on premium buttons (style 6)",
        )
    else:
        _custom_id(r, f"{path}.custom_id", data.get("custom_id"), state)
        _forbid(r, path, data, ("url", "sku_id"), "only allowed on link / premium buttons")
    if style != _PREMIUM and not data.get("label") and not data.get("emoji"):
        r.add(path, "a button needs a label or an emoji")


def _select(r: _Report, path: str, data: Mapping[str, Any], state: _Components) -> None:
    stype: int = data["type"]
    _custom_id(r, f"{path}.custom_id", data.get("custom_id"), state)
    r.string(f"{path}.placeholder", data.get("placeholder"), 150)
    lo, hi = data.get("min_values"), data.get("max_values")
    r.integer(f"{path}.min_values", lo, 0, 25)
    r.integer(f"{path}.max_values", hi, 1, 25)
    r.ordered(path, lo, hi, "min_values", "max_values")
    r.boolean(f"{path}.disabled", data.get("disabled"))
    r.boolean(f"{path}.required", data.get("required"))

    if stype == 3:
        options = r.array(f"{path}.options", data.get("options"), 25, min_items=1, required=True)
        values: set[str] = set()
        for i, option in enumerate(options):
            opath = f"{path}.options[{i}]"
            odata = r.obj(opath, option)
            if odata is None:
                continue
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
    else:
        _forbid(r, path, data, ("options",), "only string selects (type 3) have options")
        defaults = r.array(f"{path}.default_values", data.get("default_values"), 25)
        for i, item in enumerate(defaults):
            dpath = f"{path}.default_values[{i}]"
            ddata = r.obj(dpath, item)
            if ddata is None:
                continue
            if not _snowflake(ddata.get("id")):
                r.add(f"{dpath}.id", "must be a snowflake")
            if ddata.get("type") not in _DEFAULT_VALUE_TYPES:
                r.add(f"{dpath}.type", "must be one of user, role, channel")
    if stype != 8:
        _forbid(r, path, data, ("channel_types",), "only channel selects (type 8) have this")


def _action_row(r: _Report, path: str, row: Mapping[str, Any], state: _Components) -> None:
    """A message action row: 1-5 buttons, or exactly one select menu."""
    children = r.array(f"{path}.components", row.get("components"), 5, min_items=1, required=True)
    has_select = any(isinstance(c, dict) and c.get("type") in _SELECT_TYPES for c in children)
    if has_select and len(children) > 1:
        r.add(f"{path}.components", "an action row with a select menu cannot hold anything else")
    for i, child in enumerate(children):
        cpath = f"{path}.components[{i}]"
        data = r.obj(cpath, child)
        if data is None:
            continue
        state.count += 1
        ctype = data.get("type")
        if ctype == _BUTTON:
            _button(r, cpath, data, state)
        elif ctype in _SELECT_TYPES:
            _select(r, cpath, data, state)
        else:
            r.add(
                f"{cpath}.type",
                f"{ctype!r}: message action rows hold buttons (2) or selects (3, 5-8) only",
            )


def _components_v1(r: _Report, path: str, components: object) -> None:
    state = _Components(set())
    for i, row in enumerate(r.array(path, components, 5)):
        rpath = f"{path}[{i}]"
        data = r.obj(rpath, row)
        if data is None:
            continue
        if data.get("type") != 1:
            r.add(
                f"{rpath}.type",
                f"{data.get('type')!r}: top-level components must be action rows (1) unless "
                "flags has IS_COMPONENTS_V2 (1 << 15)",
            )
            continue
        _action_row(r, rpath, data, state)


# Layout components (IS_COMPONENTS_V2 messages).
_V2_TOP: Final = frozenset({1, 9, 10, 12, 13, 14, 17})
_V2_IN_CONTAINER: Final = frozenset({1, 9, 10, 12, 13, 14})
_V2_MAX_COMPONENTS: Final = 40
_V2_MAX_TEXT: Final = 4000


def _unfurled_media(r: _Report, path: str, value: object) -> None:
    media = r.obj(path, value, required=True)
    if media is not None:
        r.url(f"{path}.url", media.get("url"), _MEDIA, required=True)


def _v2_component(
    r: _Report, path: str, comp: object, allowed: frozenset[int], state: _Components
) -> None:
    data = r.obj(path, comp)
    if data is None:
        return
    state.count += 1
    ctype = data.get("type")
    if ctype not in allowed:
        r.add(f"{path}.type", f"{ctype!r} is not allowed here (allowed: {sorted(allowed)})")
        return
    if ctype == 1:
        _action_row(r, path, data, state)
    elif ctype == 9:  # section: 1-3 text displays + a button or thumbnail accessory
        texts = r.array(f"{path}.components", data.get("components"), 3, min_items=1, required=True)
        for i, text in enumerate(texts):
            _v2_component(r, f"{path}.components[{i}]", text, frozenset({10}), state)
        accessory = r.obj(f"{path}.accessory", data.get("accessory"), required=True)
        if accessory is not None:
            _v2_component(r, f"{path}.accessory", accessory, frozenset({2, 11}), state)
    elif ctype == 10:
        content = data.get("content")
        if r.string(f"{path}.content", content, _V2_MAX_TEXT, min_len=1, required=True):
            assert isinstance(content, str)
            state.text_chars += len(content)
    elif ctype == 2:
        _button(r, path, data, state)
    elif ctype == 11:
        _unfurled_media(r, f"{path}.media", data.get("media"))
    elif ctype == 12:
        items = r.array(f"{path}.items", data.get("items"), 10, min_items=1, required=True)
        for i, item in enumerate(items):
            idata = r.obj(f"{path}.items[{i}]", item)
            if idata is not None:
                _unfurled_media(r, f"{path}.items[{i}].media", idata.get("media"))
    elif ctype == 13:
        _unfurled_media(r, f"{path}.file", data.get("file"))
    elif ctype == 14:
        r.boolean(f"{path}.divider", data.get("divider"))
        r.integer(f"{path}.spacing", data.get("spacing"), 1, 2)
    elif ctype == 17:
        r.integer(f"{path}.accent_color", data.get("accent_color"), 0, 0xFFFFFF)
        r.boolean(f"{path}.spoiler", data.get("spoiler"))
        children = r.array(
            f"{path}.components",
            data.get("components"),
            _V2_MAX_COMPONENTS,
            min_items=1,
            required=True,
        )
        for i, child in enumerate(children):
            _v2_component(r, f"{path}.components[{i}]", child, _V2_IN_CONTAINER, state)


def _components_v2(r: _Report, path: str, components: object) -> None:
    state = _Components(set())
    top = r.array(path, components, _V2_MAX_COMPONENTS)
    for i, comp in enumerate(top):
        _v2_component(r, f"{path}[{i}]", comp, _V2_TOP, state)
    if state.count > _V2_MAX_COMPONENTS:
        r.add(path, f"{state.count} components in total (at most {_V2_MAX_COMPONENTS})")
    if state.text_chars > _V2_MAX_TEXT:
        r.add(path, f"text displays total {state.text_chars} characters (at most 4000)")


# ---------------------------------------------------------------------------------------------
# Modals
# ---------------------------------------------------------------------------------------------

_LABEL = 18
_TEXT_DISPLAY = 10
_TEXT_INPUT_STYLES: Final[Mapping[int, str]] = {1: "SHORT", 2: "PARAGRAPH"}
_LABELLED_OTHERS: Final[Mapping[int, str]] = {
    19: "file upload",
    21: "radio group",
    22: "checkbox group",
    23: "checkbox",
}


def _text_input(
    r: _Report, path: str, data: Mapping[str, Any], state: _Components, *, in_label: bool
) -> None:
    """A text input; its own label is required in an action row, optional inside a Label."""
    _custom_id(r, f"{path}.custom_id", data.get("custom_id"), state)
    r.one_of(f"{path}.style", data.get("style"), _TEXT_INPUT_STYLES, required=True)
    r.string(f"{path}.label", data.get("label"), 45, min_len=1, required=not in_label)
    lo, hi = data.get("min_length"), data.get("max_length")
    r.integer(f"{path}.min_length", lo, 0, 4000)
    r.integer(f"{path}.max_length", hi, 1, 4000)
    r.ordered(path, lo, hi, "min_length", "max_length")
    r.boolean(f"{path}.required", data.get("required"))
    r.string(f"{path}.value", data.get("value"), 4000)
    r.string(f"{path}.placeholder", data.get("placeholder"), 100)


def _modal_component(r: _Report, path: str, comp: object, state: _Components) -> None:
    data = r.obj(path, comp)
    if data is None:
        return
    ctype = data.get("type")
    if ctype == 1:  # legacy: an action row holding exactly one text input
        children = r.array(
            f"{path}.components", data.get("components"), 1, min_items=1, required=True
        )
        for i, child in enumerate(children):
            cpath = f"{path}.components[{i}]"
            cdata = r.obj(cpath, child)
            if cdata is None:
                continue
            if cdata.get("type") != _TEXT_INPUT:
                r.add(f"{cpath}.type", "action rows in a modal must hold one text input (4)")
            else:
                _text_input(r, cpath, cdata, state, in_label=False)
    elif ctype == _LABEL:
        r.string(f"{path}.label", data.get("label"), 45, min_len=1, required=True)
        r.string(f"{path}.description", data.get("description"), 100)
        inner = r.obj(f"{path}.component", data.get("component"), required=True)
        if inner is None:
            return
        ipath = f"{path}.component"
        itype = inner.get("type")
        if itype == _TEXT_INPUT:
            _text_input(r, ipath, inner, state, in_label=True)
        elif itype in _SELECT_TYPES:
            _select(r, ipath, inner, state)
        elif itype in _LABELLED_OTHERS:
            _custom_id(r, f"{ipath}.custom_id", inner.get("custom_id"), state)
        else:
            r.add(f"{ipath}.type", f"{itype!r} cannot be placed in a label component")
    elif ctype == _TEXT_DISPLAY:
        r.string(f"{path}.content", data.get("content"), 4000, min_len=1, required=True)
    else:
        r.add(
            f"{path}.type",
            f"{ctype!r}: modal components must be action rows (1), labels (18) "
            "or text displays (10)",
        )


def _modal(r: _Report, path: str, data: Mapping[str, Any]) -> None:
    r.string(f"{path}.title", data.get("title"), 45, min_len=1, required=True)
    r.string(f"{path}.custom_id", data.get("custom_id"), 100, min_len=1, required=True)
    state = _Components(set())
    components = r.array(
        f"{path}.components", data.get("components"), 5, min_items=1, required=True
    )
    for i, comp in enumerate(components):
        _modal_component(r, f"{path}.components[{i}]", comp, state)


# ---------------------------------------------------------------------------------------------
# Interaction responses
# ---------------------------------------------------------------------------------------------

_INTERACTION_TYPES: Final[Mapping[int, str]] = {
    1: "PING",
    2: "APPLICATION_COMMAND",
    3: "MESSAGE_COMPONENT",
    4: "APPLICATION_COMMAND_AUTOCOMPLETE",
    5: "MODAL_SUBMIT",
}


def _no_data(r: _Report, data: object, option_type: int | None) -> None:
    """PONG / DEFERRED_UPDATE_MESSAGE carry no meaningful data."""


def _created_message(r: _Report, data: object, option_type: int | None) -> None:
    _message(r, "data", data, edit=False)


def _updated_message(r: _Report, data: object, option_type: int | None) -> None:
    if data is not None:
        _message(r, "data", data, edit=True)


def _deferred(r: _Report, data: object, option_type: int | None) -> None:
    body = r.obj("data", data)
    if body is not None:
        r.integer("data.flags", body.get("flags"), 0, 2**63 - 1)


def _autocomplete(r: _Report, data: object, option_type: int | None) -> None:
    body = r.obj("data", data, required=True)
    if body is None:
        return
    choices = r.array("data.choices", body.get("choices"), 25, required=True)
    for i, choice in enumerate(choices):
        _choice(r, f"data.choices[{i}]", choice, option_type)


def _modal_data(r: _Report, data: object, option_type: int | None) -> None:
    body = r.obj("data", data, required=True)
    if body is not None:
        _modal(r, "data", body)


@dataclass(frozen=True)
class _Callback:
    name: str
    allowed_for: frozenset[int]  # interaction types that may receive this callback
    check_data: Callable[[_Report, object, int | None], None]


_CALLBACKS: Final[Mapping[int, _Callback]] = {
    1: _Callback("PONG", frozenset({1}), _no_data),
    4: _Callback("CHANNEL_MESSAGE_WITH_SOURCE", frozenset({2, 3, 5}), _created_message),
    5: _Callback("DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE", frozenset({2, 3, 5}), _deferred),
    # 6/7 edit the message that carries the component; a modal opened from a button may too.
    6: _Callback("DEFERRED_UPDATE_MESSAGE", frozenset({3, 5}), _no_data),
    7: _Callback("UPDATE_MESSAGE", frozenset({3, 5}), _updated_message),
    8: _Callback("APPLICATION_COMMAND_AUTOCOMPLETE_RESULT", frozenset({4}), _autocomplete),
    9: _Callback("MODAL", frozenset({2, 3}), _modal_data),
}
_CALLBACK_NAMES: Final[Mapping[int, str]] = {k: v.name for k, v in _CALLBACKS.items()}


def validate_interaction_response(
    payload: dict[str, Any], *, interaction_type: int, option_type: int | None = None
) -> list[str]:
    """Check an interaction callback body (``POST /interactions/{id}/{token}/callback``).

    ``interaction_type`` is the type of the interaction being answered (1 PING, 2 command,
    3 component, 4 autocomplete, 5 modal submit). ``option_type`` (3, 4 or 10), when known, is the
    type of the focused option, so autocomplete choice values can be type-checked.
    """
    r = _Report()
    body = r.obj("body", payload, required=True)
    if body is None:
        return r.errors
    if interaction_type not in _INTERACTION_TYPES:
        r.add("interaction_type", f"{interaction_type!r} is not an interaction type")
        return r.errors
    if not r.one_of("type", body.get("type"), _CALLBACK_NAMES, required=True):
        return r.errors
    callback = _CALLBACKS[body["type"]]
    if interaction_type not in callback.allowed_for:
        r.add(
            "type",
            f"{callback.name} ({body['type']}) cannot answer an interaction of type "
            f"{_INTERACTION_TYPES[interaction_type]} ({interaction_type})",
        )
        return r.errors
    callback.check_data(r, body.get("data"), option_type)
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
