"""`DiscordEmulator`: the emulator's parts put together, and its lifecycle.

An unmodified discord.py client logs in to it over loopback (see `point_discord_py_here`).
Where each part lives:
- transport: `rest` (routing, auth, faults, multipart) and `gateway` (sessions, dispatch);
- Discord's rules: `application` (commands sync), `responses` (answering interactions),
  `channels` (messages, threads, DMs), `events` (scheduled events), `messages` (the message
  store) and `validation` (request bodies);
- the API for tests and the sandbox, acting as members: `members`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import yarl
from aiohttp import web

from emulator.application import ApplicationRoutes
from emulator.channels import ChannelRoutes
from emulator.events import EventRoutes
from emulator.faults import FaultPlan
from emulator.gateway import Gateway
from emulator.interactions import InteractionRecord, NoResponse, UsageError
from emulator.members import Members, find_component
from emulator.messages import MessageListener, MessageStore
from emulator.responses import ResponseRoutes
from emulator.rest import DiscordError, Router
from emulator.world import Message, World

SANDBOX_TOKEN = "sandbox.token.not-a-secret"
MAX_REQUEST_BYTES = 16 * 1024 * 1024


class DiscordEmulator(ApplicationRoutes, ResponseRoutes, ChannelRoutes, EventRoutes, Members):
    """The emulator server plus the 'person at a Discord client' side of it."""

    def __init__(self, world: World | None = None, *, token: str = SANDBOX_TOKEN) -> None:
        self.world = world or World.create()
        self.token = token
        self.faults = FaultPlan()
        self.gateway = Gateway(self.world, token)
        self.router = Router(token, self.faults)
        self.messages = MessageStore(self.world)
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        self.sync_rejections: list[list[str]] = []
        self.synced = asyncio.Event()
        self.closed_dm_user_ids: set[int] = set()
        self.scheduled_events: dict[int, dict[str, Any]] = {}
        self.can_manage_events = True
        self.router.add(
            [
                *self.application_routes(),
                *self.response_routes(),
                *self.channel_routes(),
                *self.event_routes(),
            ]
        )
        self._runner: web.AppRunner | None = None
        self.host, self.port = "127.0.0.1", 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve REST under /api/v10 and the gateway under /gateway."""
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.router.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server) and server.sockets
        self.host, self.port = host, server.sockets[0].getsockname()[1]
        self.gateway.url = self.gateway_url

    async def stop(self) -> None:
        """Close every websocket and the server."""
        await self.gateway.close()
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
        await asyncio.wait_for(self.gateway.identified.wait(), timeout)
        await asyncio.wait_for(self.synced.wait(), timeout)

    # ------------------------------------------------------------------ observing and faults
    @property
    def request_log(self) -> list[tuple[str, str, int]]:
        """Every REST request: (method, path, status answered)."""
        return self.router.request_log

    def add_message_listener(self, listener: MessageListener) -> None:
        """Call `listener` with every message the bot creates or edits."""
        self.messages.listeners.append(listener)

    async def wait_for_message(
        self, predicate: Callable[[Message], bool], timeout: float = 5.0
    ) -> Message:
        """Wait for a stored message (existing or future) matching `predicate`."""
        return await self.messages.wait_for(predicate, timeout)

    async def dispatch(self, event: str, data: Any) -> None:
        """Send a dispatch event to every gateway session."""
        await self.gateway.dispatch(event, data)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection as a network failure would; clients RESUME."""
        await self.gateway.drop(code)


__all__ = [
    "DiscordEmulator",
    "DiscordError",
    "NoResponse",
    "UsageError",
    "find_component",
]
