"""Discord's rules for guild scheduled events: validated bodies, Manage Events (403 50013
without it), and the gateway events every change dispatches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from emulator import validation
from emulator.gateway import Gateway
from emulator.rest import DiscordError, Route, invalid_form_body, json_response
from emulator.world import World


class EventRoutes:
    """`/guilds/{guild}/scheduled-events[/{id}]`."""

    world: World
    gateway: Gateway
    scheduled_events: dict[int, dict[str, Any]]
    can_manage_events: bool
    """False: the bot lacks Manage Events, and every change answers 403 50013."""

    def event_routes(self) -> list[Route]:
        """The routes this class serves."""
        event = "/guilds/{guild}/scheduled-events/{eid}"
        return [
            ("GET", "/guilds/{guild}/scheduled-events", self._list_events),
            ("POST", "/guilds/{guild}/scheduled-events", self._create_event),
            *((method, event, self._scheduled_event) for method in ("GET", "PATCH", "DELETE")),
        ]

    def _check_manage_events(self) -> None:
        if not self.can_manage_events:
            raise DiscordError(403, 50013, "Missing Permissions")

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
            raise invalid_form_body(problems)
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
        await self.gateway.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event)
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
            await self.gateway.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event)
            return web.Response(status=204)
        changes = dict(body or {})
        problems = validation.validate_scheduled_event(
            changes, now=datetime.now(UTC), existing=event
        )
        if problems:
            raise invalid_form_body(problems)
        event.update(changes)
        await self.gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event)
        return json_response(event)
