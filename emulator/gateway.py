"""Gateway transport: the websocket, IDENTIFY / RESUME / heartbeats, and dispatch.

Like Discord for one shard, every dispatch (interactions included) goes to every session:
several processes logged in with one token all receive each event. A session outlives a
dropped connection, so its client can RESUME and receive what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from emulator.world import World

HEARTBEAT, IDENTIFY, RESUME = 1, 2, 6  # opcodes a client sends
DISPATCH, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 0, 9, 10, 11  # opcodes the gateway sends
BUFFERED_EVENTS = 1000  # dispatches kept per session for a RESUME


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


class Gateway:
    """The gateway of one shard, serving the bot user of `world` to clients with `token`."""

    def __init__(self, world: World, token: str) -> None:
        self.world = world
        self.token = token
        self.url = ""  # set once the server listens; READY names it for resuming
        self.sessions: dict[str, GatewaySession] = {}
        self.identified = asyncio.Event()
        self._session_ids = itertools.count(1)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The aiohttp handler for one websocket connection."""
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=0)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": HELLO, "d": {"heartbeat_interval": 41250}}))
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            op, data = message.get("op"), message.get("d")
            if op == HEARTBEAT:
                await ws.send_str(json.dumps({"op": HEARTBEAT_ACK}))
            elif op == IDENTIFY:
                if data.get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                await self._identify(ws)
            elif op == RESUME:
                await self._resume(ws, data)
        return ws

    async def _identify(self, ws: web.WebSocketResponse) -> None:
        session = GatewaySession(id=f"session-{next(self._session_ids)}", ws=ws)
        self.sessions[session.id] = session
        await self._send(session, "READY", self._ready_payload(session))
        await self._send(session, "GUILD_CREATE", self.world.guild_payload())
        self.identified.set()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.token:
            await ws.send_str(json.dumps({"op": INVALID_SESSION, "d": False}))
            return
        session.ws = ws
        for payload in session.buffer:
            if payload["s"] > data.get("seq", 0):
                await ws.send_str(json.dumps(payload))
        await self._send(session, "RESUMED", {})

    def _ready_payload(self, session: GatewaySession) -> dict[str, Any]:
        return {
            "v": 10,
            "user": self.world.bot_user.payload(),
            "guilds": [{"id": str(self.world.guild_id), "unavailable": True}],
            "session_id": session.id,
            "resume_gateway_url": self.url,
            "application": {"id": str(self.world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
        }

    async def _send(self, session: GatewaySession, event: str, data: Any) -> None:
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.buffer.append(payload)
        del session.buffer[:-BUFFERED_EVENTS]
        if session.connected:
            assert session.ws is not None
            with contextlib.suppress(ConnectionError, RuntimeError):
                await session.ws.send_str(json.dumps(payload))

    async def dispatch(self, event: str, data: Any) -> None:
        """Send a dispatch event to every session."""
        for session in list(self.sessions.values()):
            await self._send(session, event, data)

    async def drop(self, code: int = 4000) -> None:
        """Close every connection as a network failure would; clients RESUME."""
        for session in self.sessions.values():
            if session.ws is not None:
                ws, session.ws = session.ws, None
                await ws.close(code=code, message=b"emulated drop")

    async def close(self) -> None:
        """Close every connection for good (the server stops)."""
        for session in self.sessions.values():
            if session.ws is not None:
                await session.ws.close()
