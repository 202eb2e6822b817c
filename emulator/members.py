"""The API for tests and the sandbox: members of the world acting at a Discord client.

A member runs a slash command, types into an autocompleted option, clicks a button or
chooses in a select, submits a modal, posts a message in a channel, and runs a message command
from a message's Apps menu. Each becomes the INTERACTION_CREATE Discord would
dispatch, refused with `UsageError` where Discord's client would not let a person send it
(an unknown option, a hidden command, a disabled button).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.gateway import Gateway
from emulator.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMMAND,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
    UsageError,
    build_options,
    find_command,
    new_token,
)
from emulator.messages import resolve_mentions
from emulator.render import modal_submit_components, render_modal
from emulator.world import (
    ALL_PERMISSIONS,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    TEXT_CHANNEL,
    Channel,
    Message,
    User,
    World,
)

BUTTON, STRING_SELECT = 2, 3
MENTION_EVERYONE = 1 << 17  # permission to ping @everyone and @here
CLICKABLE = frozenset({BUTTON, STRING_SELECT})  # what the bot's action rows hold


class Members:
    """`slash`, `autocomplete`, `click`, `submit_modal` and `run`, as members of `world`."""

    world: World
    gateway: Gateway
    interactions: dict[int, InteractionRecord]
    interactions_by_token: dict[str, InteractionRecord]

    @property
    def default_channel(self) -> Channel:
        """The first guild text channel."""
        return next(
            c for c in self.world.channels.values() if c.guild_id and c.type == TEXT_CHANNEL
        )

    async def slash(
        self,
        user: User,
        command_line: str,
        *,
        channel: Channel | None = None,
        bypass_permissions: bool = False,
        **values: Any,
    ) -> InteractionRecord:
        """Run `/command [group] [sub]` with option values as `user`; returns the record.

        `bypass_permissions` behaves like a server admin who exposed a command to everyone
        in the integration settings, overriding `default_member_permissions`.
        """
        return await self.slash_options(
            user, command_line, values, channel=channel, bypass_permissions=bypass_permissions
        )

    async def slash_options(
        self,
        user: User,
        command_line: str,
        values: Mapping[str, Any],
        *,
        channel: Channel | None = None,
        bypass_permissions: bool = False,
    ) -> InteractionRecord:
        """`slash` with the option values in a mapping (any names, `channel` included)."""
        data = self._command_data(
            user, command_line, values, focused=None, bypass_permissions=bypass_permissions
        )
        record = self._interaction(APPLICATION_COMMAND, user, channel, data)
        await self._dispatch_interaction(record.payload)
        return record

    async def autocomplete(
        self,
        user: User,
        command_line: str,
        focused: str,
        *,
        channel: Channel | None = None,
        **values: Any,
    ) -> list[dict[str, Any]]:
        """Type into option `focused` of a command; returns the choices the bot offered."""
        return await self.autocomplete_options(user, command_line, focused, values, channel=channel)

    async def autocomplete_options(
        self,
        user: User,
        command_line: str,
        focused: str,
        values: Mapping[str, Any],
        *,
        channel: Channel | None = None,
    ) -> list[dict[str, Any]]:
        """`autocomplete` with the option values in a mapping (any names, `channel` included)."""
        values = dict(values)
        values.setdefault(focused, "")
        data = self._command_data(
            user, command_line, values, focused=focused, bypass_permissions=True
        )
        record = self._interaction(AUTOCOMPLETE, user, channel, data)
        await self._dispatch_interaction(record.payload)
        await record.wait_ack()
        return record.choices or []

    async def click(
        self, user: User, message: Message, target: str, *, values: list[str] | None = None
    ) -> InteractionRecord:
        """Click the button (or choose in the select) whose custom_id or label is `target`."""
        component = find_component(message, target)
        if component is None:
            raise UsageError(f"no component {target!r} on message {message.id}")
        if component.get("disabled"):
            raise UsageError(f"component {target!r} is disabled")
        data: dict[str, Any] = {
            "custom_id": component["custom_id"],
            "component_type": component["type"],
        }
        if component["type"] != BUTTON:
            data["values"] = list(values or [])
        channel = self.world.channels[message.channel_id]
        record = self._interaction(MESSAGE_COMPONENT, user, channel, data, message)
        await self._dispatch_interaction(record.payload)
        return record

    async def submit_modal(
        self, user: User, opened_by: InteractionRecord, values: dict[str, str]
    ) -> InteractionRecord:
        """Fill in and submit the modal that `opened_by` answered with."""
        modal = opened_by.modal
        if modal is None:
            raise UsageError("that interaction did not open a modal")
        _, fields = render_modal(modal)
        for wanted in fields:
            if wanted.required and not (values.get(wanted.custom_id) or wanted.value):
                raise UsageError(f"field {wanted.custom_id!r} is required")
        answers = {f.custom_id: values.get(f.custom_id, f.value or "") for f in fields}
        rows = modal_submit_components(fields, answers)
        data = {"custom_id": modal["custom_id"], "components": rows}
        channel = self.world.channels[opened_by.channel_id]
        record = self._interaction(MODAL_SUBMIT, user, channel, data)
        await self._dispatch_interaction(record.payload)
        return record

    def leave(self, user: User) -> None:
        """`user` leaves the server (and its threads). A bot without the privileged
        GUILD_MEMBERS intent is not told: Discord sends it no GUILD_MEMBER_REMOVE."""
        self.world.members.pop(user.id, None)
        for channel in self.world.channels.values():
            channel.member_ids.discard(user.id)

    async def say(self, user: User, text: str, *, channel: Channel | None = None) -> Message:
        """Post `text` as `user` in `channel` (the default one). The bot is sent the
        MESSAGE_CREATE without the text, as Discord sends it to a bot without the privileged
        MESSAGE_CONTENT intent (content, embeds, attachments and components left out) unless
        the message mentions the bot or is a DM. `@everyone` pings only when the author may
        mention everyone. A member without Send Messages (Send Messages in Threads in a
        thread) cannot post: Discord answers 50013 Missing Permissions."""
        channel = channel or self.default_channel
        if not text.strip() or len(text) > 2000:
            raise UsageError("a message holds 1-2000 characters")
        needed = (
            SEND_MESSAGES_IN_THREADS
            if channel.type in (PUBLIC_THREAD, PRIVATE_THREAD)
            else SEND_MESSAGES
        )
        if channel.guild_id is not None and not self.world.permissions_of(user.id) & needed:
            raise UsageError(f"{user.username} may not post here (50013 Missing Permissions)")
        everyone, users, roles = resolve_mentions(text, None)
        may_ping_all = self.world.permissions_of(user.id) & MENTION_EVERYONE
        everyone = everyone and bool(may_ping_all) and channel.guild_id is not None
        message = Message(
            id=self.world.snowflake(),
            channel_id=channel.id,
            author=user,
            content=text,
            guild_id=channel.guild_id,
            mention_everyone=everyone,
            mention_user_ids=users,
            mention_role_ids=roles,
        )
        self.world.messages[message.id] = message
        event = message.payload(self.world.users)
        if self.world.bot_user.id not in users and channel.guild_id is not None:
            event.update(content="", embeds=[], attachments=[], components=[])
        if channel.guild_id is not None:
            member = self.world.members[user.id].payload(with_user=False)
            event["member"] = member
        await self.gateway.dispatch("MESSAGE_CREATE", event)
        return message

    async def message_command(
        self, user: User, name: str, message: Message, *, bypass_permissions: bool = False
    ) -> InteractionRecord:
        """Run the message command `name` from `message`'s Apps menu, as `user`. Discord puts
        the whole message, text included, in the interaction's resolved data, whatever the
        bot's intents."""
        command, is_guild = find_command(self.world, name, MESSAGE_COMMAND)
        self._check_visible(user, command, bypass_permissions)
        if message.ephemeral:
            raise UsageError("an ephemeral message has no Apps menu")
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": MESSAGE_COMMAND,
            "target_id": str(message.id),
            "resolved": {"messages": {str(message.id): message.payload(self.world.users)}},
        }
        if is_guild:
            data["guild_id"] = str(self.world.guild_id)
        channel = self.world.channels[message.channel_id]
        record = self._interaction(APPLICATION_COMMAND, user, channel, data)
        await self._dispatch_interaction(record.payload)
        return record

    async def run(self, user: User, command_line: str, **values: Any) -> Message:
        """Run a command and return the reply message (asserting it was acknowledged in time)."""
        record = await self.slash(user, command_line, **values)
        return await record.wait_message()

    async def _dispatch_interaction(self, payload: dict[str, Any]) -> None:
        # Discord sends every dispatch, interactions included, to every session of the shard:
        # several processes logged in with one token all receive each interaction.
        if not self.gateway.sessions:
            raise UsageError("no bot is connected to the emulator")
        await self.gateway.dispatch("INTERACTION_CREATE", payload)

    def _command_data(
        self,
        user: User,
        command_line: str,
        values: Mapping[str, Any],
        *,
        focused: str | None,
        bypass_permissions: bool,
    ) -> dict[str, Any]:
        name, *path = command_line.strip().lstrip("/").split()
        command, is_guild = find_command(self.world, name)
        self._check_visible(user, command, bypass_permissions)
        options, resolved = build_options(self.world, command, path, values, focused=focused)
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": options}
        if resolved:
            data["resolved"] = resolved
        if is_guild:
            data["guild_id"] = str(self.world.guild_id)
        return data

    def _check_visible(self, user: User, command: dict[str, Any], bypass_permissions: bool) -> None:
        """Refuse a command that `default_member_permissions` hides from `user`."""
        required = command.get("default_member_permissions")
        if required is not None and not bypass_permissions:
            needed = int(required)
            if self.world.permissions_of(user.id) & needed != needed:
                raise UsageError(
                    f"{command['name']!r} is hidden from {user.username} "
                    "(default_member_permissions)"
                )

    def _interaction(
        self,
        kind: int,
        user: User,
        channel: Channel | None,
        data: dict[str, Any],
        message: Message | None = None,
    ) -> InteractionRecord:
        channel = channel or self.default_channel
        member = self.world.members[user.id]
        record = InteractionRecord(
            id=self.world.snowflake(),
            token=new_token(),
            type=kind,
            user=user,
            channel_id=channel.id,
            payload={},
        )
        payload: dict[str, Any] = {
            "id": str(record.id),
            "application_id": str(self.world.application_id),
            "type": kind,
            "token": record.token,
            "version": 1,
            "guild_id": str(self.world.guild_id),
            "channel_id": str(channel.id),
            "channel": channel.payload(),
            "member": member.payload(permissions=self.world.permissions_of(user.id)),
            "app_permissions": str(ALL_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.world.guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
            "data": data,
        }
        if channel.guild_id is None:  # a DM with the bot: a user, no guild, no member
            for key in ("guild_id", "member", "guild_locale"):
                del payload[key]
            payload.update(user=user.payload(), context=1)
        if message is not None:
            payload["message"] = message.payload(self.world.users)
        record.payload = payload
        self.interactions[record.id] = record
        self.interactions_by_token[record.token] = record
        return record


def find_component(message: Message, target: str) -> dict[str, Any] | None:
    """The button or string select in `message`'s action rows with custom_id or label `target`
    (validation keeps every other component out of stored messages)."""
    for row in message.components:
        for component in row.get("components", []):
            if component.get("type") in CLICKABLE and target in (
                component.get("custom_id"),
                component.get("label"),
            ):
                return component
    return None
