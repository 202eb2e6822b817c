"""A local emulator of the parts of Discord's REST API v10 and Gateway v10 the bot uses.

An unmodified discord.py client logs in to it over loopback (see `point_discord_py_here`).
People and tests act through the same object: `slash`, `autocomplete`, `click`,
`submit_modal`. It enforces Discord's rules where they matter: command sync validation, the
3-second acknowledgement deadline, one acknowledgement per interaction, every dispatch
(interactions included) to every connected session, message and component limits,
`enforce_nonce` per author across channels, and it can inject 429s, 5xx errors and gateway
drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yarl
from aiohttp import BodyPartReader, WSMsgType, web

from emulator import validation
from emulator.faults import FaultPlan
from emulator.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    UPDATE_MESSAGE,
    InteractionRecord,
    NoResponse,
    UsageError,
    build_options,
    find_command,
    new_token,
)
from emulator.render import modal_submit_components, render_modal
from emulator.world import (
    ALL_PERMISSIONS,
    DM_CHANNEL,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    Channel,
    Message,
    User,
    World,
    iso_now,
)

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "sandbox.token.not-a-secret"
EPHEMERAL, LOADING = 64, 128
NONCE_WINDOW_SECONDS = 300
FILES = "__files__"  # where a multipart request's uploaded files travel with its JSON body
INTERACTION_TOKEN_TTL = 15 * 60
MENTION = re.compile(r"<@(!|&)?(\d+)>")

Handler = Callable[[web.Request, dict[str, str], Any], Awaitable[web.Response]]
MessageListener = Callable[[Message], None]


class DiscordError(Exception):
    """An error answered the way Discord answers it: status, JSON code and message."""

    def __init__(self, status: int, code: int, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, list(errors)

    def body(self) -> dict[str, Any]:
        """Discord's error body; `errors` in the nested form discord.py flattens."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = {
                str(i): {"_errors": [{"code": "INVALID", "message": text}]}
                for i, text in enumerate(self.errors)
            }
        return body


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response with exactly `application/json` (discord.py needs that)."""
    merged = {"Via": "1.1 emulator"}
    if body is not None:  # like Discord, a 204 carries no content type
        merged["Content-Type"] = "application/json"
    merged.update(headers or {})
    payload = b"" if body is None else json.dumps(body).encode()
    return web.Response(body=payload, status=status, headers=merged)


@dataclass
class GatewaySession:
    """A gateway session: survives a dropped connection so the client can RESUME."""

    id: str
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    buffer: list[dict[str, Any]] = field(default_factory=list)

    @property
    def connected(self) -> bool:
        """Whether a live websocket is attached."""
        return self.ws is not None and not self.ws.closed


class DiscordEmulator:
    """The emulator server plus the 'person at a Discord client' side of it."""

    def __init__(self, world: World | None = None, *, token: str = SANDBOX_TOKEN) -> None:
        self.world = world or World.create()
        self.token = token
        self.faults = FaultPlan()
        self.interactions: dict[int, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}
        self.sync_rejections: list[list[str]] = []
        self.closed_dm_user_ids: set[int] = set()
        self.scheduled_events: dict[int, dict[str, Any]] = {}
        self.can_manage_events = True  # False: the bot lacks Manage Events (403 50013)
        self.message_listeners: list[MessageListener] = []
        self.request_log: list[tuple[str, str, int]] = []
        self._sessions: dict[str, GatewaySession] = {}
        self._session_ids = iter(range(1, 1_000_000))
        self._identified = asyncio.Event()
        self._synced = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._register_routes()

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve REST under /api/v10 and the gateway under /gateway."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server) and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        self.host = host

    async def stop(self) -> None:
        """Close every websocket and the server."""
        for session in self._sessions.values():
            if session.ws is not None:
                await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> DiscordEmulator:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        """The REST base URL to put into discord.py's `Route.BASE`."""
        return f"http://{self.host}:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The gateway URL to put into discord.py's `DiscordWebSocket.DEFAULT_GATEWAY`."""
        return f"ws://{self.host}:{self.port}/gateway"

    @contextlib.contextmanager
    def point_discord_py_here(self) -> Iterator[None]:
        """Redirect discord.py's REST and gateway URLs to this emulator while in the block."""
        import discord.gateway
        import discord.http

        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    async def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Wait until a client identified and synced its commands."""
        await asyncio.wait_for(self._identified.wait(), timeout)
        await asyncio.wait_for(self._synced.wait(), timeout)

    # ------------------------------------------------------------------ gateway
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=0)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        session: GatewaySession | None = None
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            op, data = message.get("op"), message.get("d")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                if data.get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                session = GatewaySession(id=f"session-{next(self._session_ids)}", ws=ws)
                self._sessions[session.id] = session
                await self._send(session, "READY", self._ready_payload(session))
                await self._send(session, "GUILD_CREATE", self.world.guild_payload())
                self._identified.set()
            elif op == 6:
                session = self._sessions.get(data.get("session_id", ""))
                if session is None or data.get("token") != self.token:
                    await ws.send_str(json.dumps({"op": 9, "d": False}))
                    continue
                session.ws = ws
                for payload in session.buffer:
                    if payload["s"] > data.get("seq", 0):
                        await ws.send_str(json.dumps(payload))
                await self._send(session, "RESUMED", {})
        return ws

    def _ready_payload(self, session: GatewaySession) -> dict[str, Any]:
        return {
            "v": 10,
            "user": self.world.bot_user.payload(),
            "guilds": [{"id": str(self.world.guild_id), "unavailable": True}],
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
        }

    async def _send(self, session: GatewaySession, event: str, data: Any) -> None:
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.buffer.append(payload)
        del session.buffer[:-1000]
        if session.connected:
            assert session.ws is not None
            with contextlib.suppress(ConnectionError, RuntimeError):
                await session.ws.send_str(json.dumps(payload))

    async def dispatch(self, event: str, data: Any) -> None:
        """Send a dispatch event to every session."""
        for session in list(self._sessions.values()):
            await self._send(session, event, data)

    async def _dispatch_interaction(self, payload: dict[str, Any]) -> None:
        # Discord sends every dispatch, interactions included, to every session of the shard:
        # several processes logged in with one token all receive each interaction.
        if not self._sessions:
            raise UsageError("no bot is connected to the emulator")
        await self.dispatch("INTERACTION_CREATE", payload)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection as a network failure would; clients RESUME."""
        for session in self._sessions.values():
            if session.ws is not None:
                ws, session.ws = session.ws, None
                await ws.close(code=code, message=b"emulated drop")

    # ------------------------------------------------------------------ REST plumbing
    def _route(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
        self._routes.append((method, regex, handler))

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        method = request.method
        fault = self.faults.take(method, path)
        if fault is not None:
            self.request_log.append((method, path, fault.status))
            if fault.status == 429:
                limited = {
                    "message": "You are being rate limited.",
                    "retry_after": fault.retry_after,
                    "global": False,
                }
                headers = {"Retry-After": str(fault.retry_after), "X-RateLimit-Scope": "user"}
                return json_response(limited, 429, headers)
            return json_response({"message": "emulated server error", "code": 0}, fault.status)
        if request.headers.get("Authorization") != f"Bot {self.token}" and not path.startswith(
            ("/webhooks/", "/interactions/")
        ):
            self.request_log.append((method, path, 401))
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        body: Any = None  # the request's JSON
        if request.can_read_body:
            if request.content_type.startswith("multipart/"):
                body = await _read_multipart(request)
            else:
                raw = await request.read()
                body = json.loads(raw) if raw else None
        for route_method, regex, handler in self._routes:
            match = regex.match(path)
            if match and route_method == method:
                try:
                    response = await handler(request, match.groupdict(), body)
                except DiscordError as error:
                    log.debug("emulator %s %s -> %s %s", method, path, error.status, error.body())
                    response = json_response(error.body(), error.status)
                self.request_log.append((method, path, response.status))
                return response
        self.request_log.append((method, path, 404))
        return json_response({"message": f"404: Not Found ({method} {path})", "code": 0}, 404)

    def _register_routes(self) -> None:
        app = r"{app}"
        self._route("GET", "/users/@me", self._get_me)
        self._route("GET", "/oauth2/applications/@me", self._get_application)
        self._route("GET", "/gateway", self._get_gateway)
        self._route("GET", "/gateway/bot", self._get_gateway)
        self._route("GET", f"/applications/{app}/commands", self._get_commands)
        self._route("PUT", f"/applications/{app}/commands", self._put_commands)
        self._route("GET", f"/applications/{app}/guilds/{{guild}}/commands", self._get_commands)
        self._route("PUT", f"/applications/{app}/guilds/{{guild}}/commands", self._put_commands)
        self._route("POST", "/interactions/{iid}/{token}/callback", self._callback)
        self._route("POST", "/webhooks/{app}/{token}", self._followup)
        for method in ("GET", "PATCH", "DELETE"):
            self._route(method, "/webhooks/{app}/{token}/messages/{mid}", self._webhook_message)
        self._route("GET", "/channels/{cid}", self._get_channel)
        self._route("GET", "/channels/{cid}/messages", self._history)
        self._route("POST", "/channels/{cid}/messages", self._create_message)
        for method in ("GET", "PATCH", "DELETE"):
            self._route(method, "/channels/{cid}/messages/{mid}", self._channel_message)
        self._route("POST", "/channels/{cid}/threads", self._create_thread)
        self._route("PUT", "/channels/{cid}/thread-members/{uid}", self._add_thread_member)
        self._route("POST", "/users/@me/channels", self._create_dm)
        self._route("GET", "/guilds/{guild}/members/{uid}", self._get_member)
        self._route("GET", "/users/{uid}", self._get_user)
        self._route("GET", "/guilds/{guild}/threads/active", self._active_threads)
        self._route("GET", "/guilds/{guild}/scheduled-events", self._list_events)
        self._route("POST", "/guilds/{guild}/scheduled-events", self._create_event)
        for method in ("GET", "PATCH", "DELETE"):
            self._route(method, "/guilds/{guild}/scheduled-events/{eid}", self._scheduled_event)

    # ------------------------------------------------------------------ REST handlers
    async def _get_me(self, *_: Any) -> web.Response:
        return json_response(
            {**self.world.bot_user.payload(), "verified": True, "mfa_enabled": False, "flags": 0}
        )

    async def _get_application(self, *_: Any) -> web.Response:
        owner = self.world.users.get(self.world.owner_id, self.world.bot_user)
        return json_response(
            {
                "id": str(self.world.application_id),
                "name": "ProDev Nexus (sandbox)",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": owner.payload(),
                "verify_key": "0" * 64,
                "flags": 0,
                "summary": "",
            }
        )

    async def _get_gateway(self, *_: Any) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    def _commands_for(self, params: dict[str, str]) -> list[dict[str, Any]]:
        if "guild" in params:
            if int(params["guild"]) != self.world.guild_id:
                raise DiscordError(404, 10004, "Unknown Guild")
            return self.world.guild_commands
        return self.world.global_commands

    async def _get_commands(
        self, _request: web.Request, params: dict[str, str], _body: Any
    ) -> web.Response:
        return json_response(self._commands_for(params))

    async def _put_commands(
        self, _request: web.Request, params: dict[str, str], body: Any
    ) -> web.Response:
        current = self._commands_for(params)
        is_guild = "guild" in params
        if not isinstance(body, list):
            raise DiscordError(400, 50035, "Invalid Form Body", ["body: must be an array"])
        problems = validation.validate_command_sync(body, guild=is_guild)
        if problems:
            self.sync_rejections.append(problems)
            log.warning("command sync rejected: %s", problems)
            raise DiscordError(400, 50035, "Invalid Form Body", problems)
        ids = {(c["name"], c.get("type", 1)): c["id"] for c in current}
        stored = []
        for command in body:
            key = (command["name"], command.get("type", 1))
            perms = command.get("default_member_permissions")
            stored.append(
                {
                    **command,
                    "id": ids.get(key) or str(self.world.snowflake()),
                    "application_id": str(self.world.application_id),
                    "version": str(self.world.snowflake()),
                    "type": command.get("type", 1),
                    "description": command.get("description", ""),
                    "default_member_permissions": None if perms is None else str(perms),
                    "nsfw": command.get("nsfw", False),
                    **({"guild_id": str(self.world.guild_id)} if is_guild else {}),
                }
            )
        current[:] = stored
        self._synced.set()
        return json_response(stored)

    def _interaction_for(self, token: str) -> InteractionRecord:
        record = self._by_token.get(token)
        if record is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        if time.monotonic() - record.created > INTERACTION_TOKEN_TTL:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        return record

    async def _callback(
        self, _request: web.Request, params: dict[str, str], body: Any
    ) -> web.Response:
        record = self.interactions.get(int(params["iid"]))
        if record is None or record.token != params["token"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        if record.response_type is not None:
            record.rejected.append("second acknowledgement")
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if record.expired:
            record.rejected.append("acknowledged after the 3-second deadline")
            raise DiscordError(404, 10062, "Unknown interaction")
        problems = validation.validate_interaction_response(body, interaction_type=record.type)
        if problems:
            record.rejected.extend(problems)
            raise DiscordError(400, 50035, "Invalid Form Body", problems)
        kind, data = body["type"], body.get("data") or {}
        if FILES in body:  # a multipart callback: its attachments belong to the message
            data = {**data, FILES: body[FILES]}
        message: Message | None = None
        if kind == CHANNEL_MESSAGE:
            message = self._store_message(record.channel_id, data, interaction=record)
            record.original = message
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            flags = LOADING | (data.get("flags", 0) & EPHEMERAL)
            message = self._store_message(
                record.channel_id, {"flags": flags}, interaction=record, validate=False
            )
            record.original = message
        elif kind == UPDATE_MESSAGE:
            message = self._edit_message(self._component_message(record), data)
        elif kind == AUTOCOMPLETE_RESULT:
            record.choices = list(data.get("choices", []))
        elif kind == MODAL:
            record.modal = data
        record.response_type = kind
        record.ack_seconds = time.monotonic() - record.created
        record.acknowledged.set()
        record.touch()
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(record.id),
                "type": record.type,
                "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(message and message.ephemeral),
            }
        }
        if message is not None:
            answer["interaction"]["response_message_id"] = str(message.id)
            answer["resource"] = {"type": kind, "message": message.payload(self.world.users)}
        return json_response(answer)

    def _component_message(self, record: InteractionRecord) -> Message:
        message_id = int(record.payload.get("message", {}).get("id", 0))
        if message_id not in self.world.messages:
            raise DiscordError(404, 10008, "Unknown Message")
        return self.world.messages[message_id]

    async def _followup(
        self, _request: web.Request, params: dict[str, str], body: Any
    ) -> web.Response:
        record = self._interaction_for(params["token"])
        if record.response_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        message = self._store_message(record.channel_id, body or {}, interaction=record)
        record.followups.append(message)
        record.touch()
        return json_response(message.payload(self.world.users))

    async def _webhook_message(
        self, request: web.Request, params: dict[str, str], body: Any
    ) -> web.Response:
        record = self._interaction_for(params["token"])
        message: Message | None
        if params["mid"] == "@original":
            if record.original is not None:
                message = record.original
            elif record.payload.get("message"):
                message = self._component_message(record)
            else:
                raise DiscordError(404, 10008, "Unknown Message")
        else:
            message = self.world.messages.get(int(params["mid"]))
            if message is None or message not in record.messages:
                raise DiscordError(404, 10008, "Unknown Message")
        if request.method == "GET":
            return json_response(message.payload(self.world.users))
        if request.method == "DELETE":
            self.world.messages.pop(message.id, None)
            record.touch()
            return json_response(None, 204)
        message = self._edit_message(message, body or {})
        record.touch()
        return json_response(message.payload(self.world.users))

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
        message = self._store_message(channel.id, body)
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
        return json_response(self._edit_message(message, body or {}).payload(self.world.users))

    async def _create_thread(
        self, _request: web.Request, params: dict[str, str], body: Any
    ) -> web.Response:
        parent = self._channel(params["cid"])
        name = (body or {}).get("name", "")
        if not 1 <= len(name) <= 100:
            raise DiscordError(400, 50035, "Invalid Form Body", ["name: must be 1-100 characters"])
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
        await self.dispatch("THREAD_CREATE", {**thread.payload(), "newly_created": True})
        return json_response(thread.payload(), 201)

    async def _add_thread_member(
        self, _request: web.Request, params: dict[str, str], _body: Any
    ) -> web.Response:
        thread = self._channel(params["cid"])
        if int(params["uid"]) not in self.world.members:
            raise DiscordError(404, 10013, "Unknown User")
        thread.member_ids.add(int(params["uid"]))
        return json_response(None, 204)

    async def _create_dm(
        self, _request: web.Request, _params: dict[str, str], body: Any
    ) -> web.Response:
        user = self.world.users.get(int((body or {}).get("recipient_id", 0)))
        if user is None:
            raise DiscordError(400, 50035, "Invalid Form Body", ["recipient_id: unknown user"])
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

    async def _list_events(
        self, _request: web.Request, _params: dict[str, str], _body: Any
    ) -> web.Response:
        return json_response(list(self.scheduled_events.values()))

    async def _create_event(
        self, _request: web.Request, _params: dict[str, str], body: Any
    ) -> web.Response:
        self._check_manage_events()
        problems = validation.validate_scheduled_event(body or {}, now=datetime.now(UTC))
        if problems:
            raise DiscordError(400, 50035, "Invalid Form Body", problems)
        event: dict[str, Any] = {
            "id": str(self.world.snowflake()),
            "guild_id": str(self.world.guild_id),
            "channel_id": None,
            "creator_id": str(self.world.bot_user.id),
            "creator": self.world.bot_user.payload(),
            "status": 1,
            "entity_id": None,
            "user_count": 0,
            "image": None,
            "recurrence_rule": None,
            "description": None,
            "scheduled_end_time": None,
            "entity_metadata": None,
        }
        event.update({k: v for k, v in body.items() if k != "reason"})
        self.scheduled_events[int(event["id"])] = event
        await self.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event)
        return json_response(event)

    async def _scheduled_event(
        self, request: web.Request, params: dict[str, str], body: Any
    ) -> web.Response:
        event = self.scheduled_events.get(int(params["eid"]))
        if event is None:
            raise DiscordError(404, 10070, "Unknown Guild Scheduled Event")
        if request.method == "GET":
            return json_response(event)
        self._check_manage_events()
        if request.method == "DELETE":
            del self.scheduled_events[int(params["eid"])]
            await self.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event)
            return web.Response(status=204)
        changes = dict(body or {})
        problems = validation.validate_scheduled_event(
            changes, now=datetime.now(UTC), existing=event
        )
        if problems:
            raise DiscordError(400, 50035, "Invalid Form Body", problems)
        event.update(changes)
        await self.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event)
        return json_response(event)

    def _check_manage_events(self) -> None:
        if not self.can_manage_events:
            raise DiscordError(403, 50013, "Missing Permissions")

    async def _get_user(
        self, _request: web.Request, params: dict[str, str], _body: Any
    ) -> web.Response:
        user = self.world.users.get(int(params["uid"])) if params["uid"].isdigit() else None
        if user is None:
            raise DiscordError(404, 10013, "Unknown User")
        return json_response(user.payload())

    async def _get_member(
        self, _request: web.Request, params: dict[str, str], _body: Any
    ) -> web.Response:
        member = self.world.members.get(int(params["uid"]))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return json_response(member.payload())

    # ------------------------------------------------------------------ messages
    def _store_message(
        self,
        channel_id: int,
        body: dict[str, Any],
        *,
        interaction: InteractionRecord | None = None,
        validate: bool = True,
    ) -> Message:
        if validate:
            problems = validation.validate_message(body)
            if problems:
                if interaction is not None:
                    interaction.rejected.extend(problems)
                raise DiscordError(400, 50035, "Invalid Form Body", problems)
        channel = self.world.channels[channel_id]
        message = Message(
            id=self.world.snowflake(),
            channel_id=channel_id,
            author=self.world.bot_user,
            guild_id=channel.guild_id,
            type=20 if interaction is not None and interaction.type == APPLICATION_COMMAND else 0,
            interaction_id=interaction.id if interaction else None,
            nonce=None if body.get("nonce") is None else str(body["nonce"]),
        )
        self._apply(message, body)
        message.files = dict(body.get(FILES) or {})
        self.world.messages[message.id] = message
        for listener in self.message_listeners:
            listener(message)
        return message

    def _edit_message(self, message: Message, body: dict[str, Any]) -> Message:
        merged = {
            "content": message.content,
            "embeds": message.embeds,
            "components": message.components,
            **body,
        }
        problems = validation.validate_message(merged)
        if problems:
            raise DiscordError(400, 50035, "Invalid Form Body", problems)
        self._apply(message, body)
        message.flags &= ~LOADING
        message.edited_timestamp = iso_now()
        for listener in self.message_listeners:
            listener(message)
        return message

    def _apply(self, message: Message, body: dict[str, Any]) -> None:
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

    def add_message_listener(self, listener: MessageListener) -> None:
        """Call `listener` with every message the bot creates or edits."""
        self.message_listeners.append(listener)

    async def wait_for_message(
        self, predicate: Callable[[Message], bool], timeout: float = 5.0
    ) -> Message:
        """Wait for a stored message (existing or future) matching `predicate`."""
        deadline = time.monotonic() + timeout
        while True:
            for message in list(self.world.messages.values()):
                if predicate(message):
                    return message
            if time.monotonic() > deadline:
                raise TimeoutError("no matching message")
            await asyncio.sleep(0.02)

    # ------------------------------------------------------------------ acting as a person
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
        self._by_token[record.token] = record
        return record

    @property
    def default_channel(self) -> Channel:
        """The first guild text channel."""
        return next(c for c in self.world.channels.values() if c.guild_id and c.type == 0)

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
        required = command.get("default_member_permissions")
        if required is not None and not bypass_permissions:
            needed = int(required)
            if self.world.permissions_of(user.id) & needed != needed:
                raise UsageError(
                    f"/{name} is hidden from {user.username} (default_member_permissions)"
                )
        options, resolved = build_options(self.world, command, path, values, focused=focused)
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": options}
        if resolved:
            data["resolved"] = resolved
        if is_guild:
            data["guild_id"] = str(self.world.guild_id)
        return data

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
        if component["type"] == 2 and component.get("style") == 5:
            raise UsageError(f"{target!r} is a link button: {component.get('url')}")
        data: dict[str, Any] = {
            "custom_id": component["custom_id"],
            "component_type": component["type"],
        }
        if component["type"] != 2:
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

    async def run(self, user: User, command_line: str, **values: Any) -> Message:
        """Run a command and return the reply message (asserting it was acknowledged in time)."""
        record = await self.slash(user, command_line, **values)
        return await record.wait_message()


def find_component(message: Message, target: str) -> dict[str, Any] | None:
    """The button or select on `message` with custom_id or label `target`."""

    def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            yield item
            yield from walk(item.get("components", []))
            if isinstance(item.get("component"), dict):
                yield from walk([item["component"]])
            if isinstance(item.get("accessory"), dict):
                yield from walk([item["accessory"]])

    for component in walk(message.components):
        if component.get("type") in (2, 3, 5, 6, 7, 8) and target in (
            component.get("custom_id"),
            component.get("label"),
        ):
            return component
    return None


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


async def _read_multipart(request: web.Request) -> dict[str, Any]:
    """The JSON payload of a multipart request, with its uploaded files under `FILES`."""
    reader = await request.multipart()
    body: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    async for part in reader:
        assert isinstance(part, BodyPartReader)  # discord.py sends no nested multipart
        if part.name == "payload_json":
            body = json.loads(await part.text())
        elif part.filename:
            files[part.filename] = bytes(await part.read())
    if files:
        body[FILES] = files
    return body


__all__ = ["DiscordEmulator", "DiscordError", "NoResponse", "UsageError", "find_component"]
