"""The messages the bot posts and edits: Discord's message rules, mentions, and listeners.

Every route that creates or edits a message (channel messages, interaction responses,
followups, webhook edits) goes through `MessageStore`, so the same rules apply everywhere.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

from emulator import validation
from emulator.interactions import APPLICATION_COMMAND, InteractionRecord
from emulator.rest import FILES, invalid_form_body
from emulator.world import Message, World, iso_now

EPHEMERAL, LOADING = 64, 128  # message flags
CHAT_INPUT_COMMAND_REPLY = 20  # message type of a slash command's response
REPLY = 19  # message type of a reply to another message
MENTION = re.compile(r"<@(!|&)?(\d+)>")

MessageListener = Callable[[Message], None]


class MessageStore:
    """Creates and edits the bot's messages in `world`, telling every listener."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.listeners: list[MessageListener] = []

    def create(
        self,
        channel_id: int,
        body: dict[str, Any],
        *,
        interaction: InteractionRecord | None = None,
        validate: bool = True,
    ) -> Message:
        """Post `body` in the channel; `interaction` is the one it answers, if any."""
        if validate:
            problems = validation.validate_message(body)
            if problems:
                if interaction is not None:
                    interaction.rejected.extend(problems)
                raise invalid_form_body(problems)
        channel = self.world.channels[channel_id]
        answers_command = interaction is not None and interaction.type == APPLICATION_COMMAND
        message = Message(
            id=self.world.snowflake(),
            channel_id=channel_id,
            author=self.world.bot_user,
            guild_id=channel.guild_id,
            type=CHAT_INPUT_COMMAND_REPLY if answers_command else 0,
            interaction_id=interaction.id if interaction else None,
            nonce=None if body.get("nonce") is None else str(body["nonce"]),
        )
        _apply(message, body)
        self._reply(message, body)
        message.files = dict(body.get(FILES) or {})
        self.world.messages[message.id] = message
        self._tell(message)
        return message

    def _reply(self, message: Message, body: dict[str, Any]) -> None:
        """Make `message` a reply when `body` references a message of its channel. An unknown
        one is a 400 unless `fail_if_not_exists` is false (then it is a plain message). The
        replied-to author is pinged when `allowed_mentions` is absent or says `replied_user`."""
        reference = body.get("message_reference")
        if not reference:
            return
        replied = self.world.messages.get(int(reference["message_id"]))
        in_channel = replied is not None and replied.channel_id == message.channel_id
        if replied is None or not in_channel or replied.ephemeral:
            if reference.get("fail_if_not_exists", True):
                raise invalid_form_body(["message_reference: Unknown message"])
            return
        message.referenced, message.type = replied, REPLY
        allowed = body.get("allowed_mentions")
        pings = allowed is None or bool(allowed.get("replied_user"))
        if pings and replied.author.id not in message.mention_user_ids:
            message.mention_user_ids.append(replied.author.id)

    def edit(self, message: Message, body: dict[str, Any]) -> Message:
        """Apply a partial edit; Discord checks the message as it would be afterwards."""
        merged = {
            "content": message.content,
            "embeds": message.embeds,
            "components": message.components,
            **body,
        }
        problems = validation.validate_message(merged)
        if problems:
            raise invalid_form_body(problems)
        _apply(message, body)
        message.flags &= ~LOADING
        message.edited_timestamp = iso_now()
        self._tell(message)
        return message

    def _tell(self, message: Message) -> None:
        for listener in self.listeners:
            listener(message)

    async def wait_for(self, predicate: Callable[[Message], bool], timeout: float) -> Message:
        """A stored message (existing or future) matching `predicate`."""
        deadline = time.monotonic() + timeout
        while True:
            for message in list(self.world.messages.values()):
                if predicate(message):
                    return message
            if time.monotonic() > deadline:
                raise TimeoutError("no matching message")
            await asyncio.sleep(0.02)


def _apply(message: Message, body: dict[str, Any]) -> None:
    if "content" in body:
        message.content = body["content"] or ""
    if "embeds" in body:
        message.embeds = body["embeds"] or []
    if "components" in body:
        message.components = body["components"] or []
    if "flags" in body and body["flags"] is not None:
        message.flags = (message.flags & LOADING) | int(body["flags"])
    everyone, users, roles = resolve_mentions(message.content, body.get("allowed_mentions"))
    message.mention_everyone = everyone
    message.mention_user_ids = users
    message.mention_role_ids = roles


def resolve_mentions(
    content: str, allowed: dict[str, Any] | None
) -> tuple[bool, list[int], list[int]]:
    """Who a message pings, following Discord's `allowed_mentions` rules."""
    if allowed is None:
        parse = {"everyone", "users", "roles"}
        allowed = {}
    else:
        parse = set(allowed.get("parse", []))
    listed_users = {int(u) for u in allowed.get("users", [])}
    listed_roles = {int(r) for r in allowed.get("roles", [])}
    everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
    users, roles = [], []
    for kind, raw_id in MENTION.findall(content):
        target = int(raw_id)
        if kind == "&":
            if "roles" in parse or target in listed_roles:
                roles.append(target)
        elif "users" in parse or target in listed_users:
            users.append(target)
    return everyone, users, roles
