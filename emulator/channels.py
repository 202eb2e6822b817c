"""Discord's rules for channels: messages (history in pages of at most 100, `enforce_nonce`
per author across channels), threads, and DMs (closed DMs answer 403)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from emulator.gateway import Gateway
from emulator.messages import MessageStore
from emulator.rest import DiscordError, Route, invalid_form_body, json_response
from emulator.world import DM_CHANNEL, PRIVATE_THREAD, PUBLIC_THREAD, Channel, World

NONCE_WINDOW_SECONDS = 300


class ChannelRoutes:
    """`/channels/...`, `/users/@me/channels` and a guild's active threads."""

    world: World
    gateway: Gateway
    messages: MessageStore
    closed_dm_user_ids: set[int]
    """Members whose DMs are closed to the bot."""

    def channel_routes(self) -> list[Route]:
        """The routes this class serves."""
        message = "/channels/{cid}/messages/{mid}"
        return [
            ("GET", "/channels/{cid}", self._get_channel),
            ("GET", "/channels/{cid}/messages", self._history),
            ("POST", "/channels/{cid}/messages", self._create_message),
            *((method, message, self._channel_message) for method in ("GET", "PATCH", "DELETE")),
            ("POST", "/channels/{cid}/threads", self._create_thread),
            ("PUT", "/channels/{cid}/thread-members/{uid}", self._add_thread_member),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/guilds/{guild}/threads/active", self._active_threads),
        ]

    def _channel(self, cid: str) -> Channel:
        channel = self.world.channels.get(int(cid))
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return channel

    async def _get_channel(
        self, _request: web.Request, params: dict[str, str], _body: Any
    ) -> web.Response:
        return json_response(self._channel(params["cid"]).payload())

    async def _history(
        self, request: web.Request, params: dict[str, str], _body: Any
    ) -> web.Response:
        channel = self._channel(params["cid"])
        limit = min(int(request.query.get("limit", 50)), 100)
        before = int(request.query.get("before", 0)) or None
        after = int(request.query.get("after", 0)) or None
        found = [m for m in self.world.channel_messages(channel.id) if not m.ephemeral]
        if before:
            found = [m for m in found if m.id < before]
        found = [m for m in found if m.id > after][:limit] if after else found[-limit:]
        found.sort(key=lambda m: m.id, reverse=True)
        return json_response([m.payload(self.world.users) for m in found])

    async def _create_message(
        self, _request: web.Request, params: dict[str, str], body: Any
    ) -> web.Response:
        channel = self._channel(params["cid"])
        if (
            channel.type == DM_CHANNEL
            and channel.recipient is not None
            and (channel.recipient.id in self.closed_dm_user_ids)
        ):
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        body = body or {}
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord keeps a nonce per author, in every channel: a repeat within the window
            # returns the earlier message wherever it was posted, and posts nothing.
            for earlier in self.world.messages.values():
                if (
                    earlier.nonce == str(nonce)
                    and earlier.author is self.world.bot_user
                    and time.monotonic() - earlier.created_monotonic < NONCE_WINDOW_SECONDS
                ):
                    return json_response(earlier.payload(self.world.users))
        message = self.messages.create(channel.id, body)
        return json_response(message.payload(self.world.users))

    async def _channel_message(
        self, request: web.Request, params: dict[str, str], body: Any
    ) -> web.Response:
        message = self.world.messages.get(int(params["mid"]))
        if message is None or message.channel_id != int(params["cid"]):
            raise DiscordError(404, 10008, "Unknown Message")
        if request.method == "GET":
            return json_response(message.payload(self.world.users))
        if request.method == "DELETE":
            del self.world.messages[message.id]
            return json_response(None, 204)
        return json_response(self.messages.edit(message, body or {}).payload(self.world.users))

    async def _create_thread(
        self, _request: web.Request, params: dict[str, str], body: Any
    ) -> web.Response:
        parent = self._channel(params["cid"])
        name = (body or {}).get("name", "")
        if not 1 <= len(name) <= 100:
            raise invalid_form_body(["name: must be 1-100 characters"])
        thread = Channel(
            self.world.snowflake(),
            name,
            type=(body or {}).get("type", PRIVATE_THREAD),
            guild_id=self.world.guild_id,
            parent_id=parent.id,
            owner_id=self.world.bot_user.id,
            member_ids={self.world.bot_user.id},
        )
        self.world.channels[thread.id] = thread
        await self.gateway.dispatch("THREAD_CREATE", {**thread.payload(), "newly_created": True})
        return json_response(thread.payload(), 201)

    async def _add_thread_member(
        self, _request: web.Request, params: dict[str, str], _body: Any
    ) -> web.Response:
        thread = self._channel(params["cid"])
        user_id = int(params["uid"])
        if user_id not in self.world.users:
            raise DiscordError(404, 10013, "Unknown User")
        if user_id not in self.world.members:  # a user who is not (any more) in the server
            raise DiscordError(404, 10007, "Unknown Member")
        thread.member_ids.add(int(params["uid"]))
        return json_response(None, 204)

    async def _create_dm(
        self, _request: web.Request, _params: dict[str, str], body: Any
    ) -> web.Response:
        user = self.world.users.get(int((body or {}).get("recipient_id", 0)))
        if user is None:
            raise invalid_form_body(["recipient_id: unknown user"])
        return json_response(self.world.dm_channel(user).payload())

    async def _active_threads(
        self, _request: web.Request, _params: dict[str, str], _body: Any
    ) -> web.Response:
        threads = [
            c.payload()
            for c in self.world.channels.values()
            if c.type in (PUBLIC_THREAD, PRIVATE_THREAD)
        ]
        return json_response({"threads": threads, "members": []})
