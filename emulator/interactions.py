"""Interactions as the emulator tracks them, and the payloads a Discord client would send.

A person (or a test) acts through `DiscordEmulator`; this module turns "run /learn with
query=docker" into the INTERACTION_CREATE payload Discord would dispatch, and records how
the bot answered: within the 3-second deadline or not, once or twice, with which message.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.world import Message, User, World

ACK_DEADLINE_SECONDS = 3.0

# Interaction types and callback types (discord-api-docs, Receiving and Responding)
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9

SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2
CHAT_INPUT, MESSAGE_COMMAND = 1, 3  # application command types (USER, 2, is not modelled)
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10


class UsageError(ValueError):
    """What a Discord client would not let a person send (unknown command, missing option)."""


class NotAutocompleted(UsageError):
    """Typing into an option Discord does not ask the bot about: fixed `choices` (which
    Discord's client filters itself) or free text."""

    def __init__(self, option: str, choices: list[str]) -> None:
        kind = "has fixed choices" if choices else "is free text"
        super().__init__(f"option {option!r} {kind}: Discord does not ask the bot")
        self.choices = choices


class NoResponse(AssertionError):
    """The bot did not acknowledge an interaction within Discord's deadline."""


@dataclass
class InteractionRecord:
    """One interaction and everything the bot answered to it."""

    id: int
    token: str
    type: int
    user: User
    channel_id: int
    payload: dict[str, Any]
    created: float = field(default_factory=time.monotonic)
    response_type: int | None = None
    ack_seconds: float | None = None
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    rejected: list[str] = field(default_factory=list)
    acknowledged: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def expired(self) -> bool:
        """Whether the 3-second window for the first response has passed."""
        return time.monotonic() - self.created > ACK_DEADLINE_SECONDS

    def touch(self) -> None:
        """Wake anyone waiting for a change."""
        self.changed.set()

    async def wait_ack(self, timeout: float = ACK_DEADLINE_SECONDS + 0.5) -> InteractionRecord:
        """Wait for the first response; raise `NoResponse` when the bot missed the deadline."""
        try:
            await asyncio.wait_for(self.acknowledged.wait(), timeout)
        except TimeoutError:
            raise NoResponse(f"interaction {self.id} was not acknowledged within 3 s") from None
        return self

    async def wait_message(self, timeout: float = 10.0) -> Message:
        """Wait for the visible reply: the original message once it is no longer 'thinking'."""
        await self.wait_ack()
        deadline = time.monotonic() + timeout
        while True:
            message = self.reply
            if message is not None:
                return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NoResponse(f"interaction {self.id} produced no message within {timeout} s")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                continue

    @property
    def reply(self) -> Message | None:
        """The message a person sees: the original (once it has content) or the first followup."""
        original = self.original
        if original is not None and (original.content or original.embeds or original.components):
            return original
        return self.followups[0] if self.followups else None

    @property
    def messages(self) -> list[Message]:
        """Every message this interaction produced, in order."""
        found = [self.original] if self.original is not None else []
        return found + self.followups


def find_command(world: World, name: str, kind: int = CHAT_INPUT) -> tuple[dict[str, Any], bool]:
    """The registered command of type `kind` called `name` (guild commands first) and whether
    it is a guild one."""
    for command in world.guild_commands:
        if command["name"] == name and command.get("type", 1) == kind:
            return command, True
    for command in world.global_commands:
        if command["name"] == name and command.get("type", 1) == kind:
            return command, False
    if kind == MESSAGE_COMMAND:
        raise UsageError(f"no message command {name!r} is registered (Apps menu)")
    raise UsageError(f"no slash command /{name} is registered")


def build_options(
    world: World,
    command: dict[str, Any],
    path: list[str],
    values: Mapping[str, Any],
    *,
    focused: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Options and `resolved` data for `/command path... name:value`, as Discord builds them."""
    schema = command.get("options", [])
    nested: list[dict[str, Any]] = []
    for part in path:
        found = next(
            (
                o
                for o in schema
                if o["name"] == part and o["type"] in (SUBCOMMAND, SUBCOMMAND_GROUP)
            ),
            None,
        )
        if found is None:
            raise UsageError(f"/{command['name']} has no subcommand {part!r}")
        nested.append({"type": found["type"], "name": part, "options": []})
        schema = found.get("options", [])
    if any(o["type"] in (SUBCOMMAND, SUBCOMMAND_GROUP) for o in schema):
        names = ", ".join(o["name"] for o in schema)
        raise UsageError(f"/{' '.join([command['name'], *path])} needs a subcommand: {names}")

    resolved: dict[str, Any] = {}
    options: list[dict[str, Any]] = []
    known = {o["name"]: o for o in schema}
    for name in values:
        if name not in known:
            raise UsageError(f"unknown option {name!r}; options are: {', '.join(known) or 'none'}")
    for option in schema:
        name = option["name"]
        if name not in values:
            if option.get("required") and name != focused and focused is None:
                raise UsageError(f"option {name!r} is required")
            continue
        if name == focused:
            if not option.get("autocomplete"):  # Discord's client never asks the bot
                raise NotAutocompleted(name, [c["name"] for c in option.get("choices", [])])
            options.append(
                {"type": option["type"], "name": name, "value": str(values[name]), "focused": True}
            )
            continue
        value = _convert(world, option, values[name], resolved)
        options.append({"type": option["type"], "name": name, "value": value})

    if nested:
        nested[-1]["options"] = options
        for outer, inner in itertools.pairwise(nested):
            outer["options"] = [inner]
        return [nested[0]], resolved
    return options, resolved


def _convert(world: World, option: dict[str, Any], raw: Any, resolved: dict[str, Any]) -> Any:
    kind, name = option["type"], option["name"]
    try:
        if kind == STRING:
            value: Any = str(raw)
        elif kind == INTEGER:
            value = int(raw)
        elif kind == NUMBER:
            value = float(raw)
        elif kind == BOOLEAN:
            value = raw if isinstance(raw, bool) else str(raw).lower() in {"true", "yes", "1"}
        elif kind in (USER, MENTIONABLE):
            user = raw if isinstance(raw, User) else _find_user(world, str(raw))
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            if user.id in world.members:
                member = world.members[user.id].payload(with_user=False)
                resolved.setdefault("members", {})[str(user.id)] = member
            value = str(user.id)
        elif kind == CHANNEL:
            channel = next(
                c for c in world.channels.values() if str(raw).lstrip("#") in (c.name, str(c.id))
            )
            resolved.setdefault("channels", {})[str(channel.id)] = {
                **channel.payload(),
                "permissions": str((1 << 51) - 1),
            }
            value = str(channel.id)
        elif kind == ROLE:
            role = next(
                r for r in world.roles.values() if str(raw).lstrip("@") in (r.name, str(r.id))
            )
            resolved.setdefault("roles", {})[str(role.id)] = role.payload()
            value = str(role.id)
        else:
            raise UsageError(f"option type {kind} is not supported by the emulator")
    except (ValueError, StopIteration, KeyError):
        raise UsageError(f"{raw!r} is not a valid value for option {name!r}") from None
    choices = option.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        allowed = ", ".join(str(c["value"]) for c in choices)
        raise UsageError(f"option {name!r} must be one of: {allowed}")
    for limit, check in (
        ("min_length", lambda v, n: len(v) >= n),
        ("max_length", lambda v, n: len(v) <= n),
        ("min_value", lambda v, n: v >= n),
        ("max_value", lambda v, n: v <= n),
    ):
        if limit in option and not check(value, option[limit]):
            raise UsageError(f"option {name!r} breaks {limit}={option[limit]}")
    return value


def _find_user(world: World, text: str) -> User:
    text = text.strip().removeprefix("<@").removeprefix("!").removesuffix(">").lstrip("@")
    for user in world.users.values():
        if text in (user.username, str(user.id)):
            return user
    raise KeyError(text)


def new_token() -> str:
    """An interaction token."""
    return "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
