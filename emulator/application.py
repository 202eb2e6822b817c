"""Discord's rules for the application: who the bot is, where the gateway is, users and
members, and command sync (validated as Discord validates it, with its 400s)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from emulator import validation
from emulator.gateway import Gateway
from emulator.rest import DiscordError, Route, invalid_form_body, json_response
from emulator.world import World

log = logging.getLogger(__name__)


class ApplicationRoutes:
    """`/users`, `/oauth2/applications/@me`, `/gateway` and the application's commands."""

    world: World
    gateway: Gateway
    sync_rejections: list[list[str]]
    """The problems of every command sync the emulator rejected."""
    synced: asyncio.Event

    def application_routes(self) -> list[Route]:
        """The routes this class serves."""
        commands = "/applications/{app}/commands"
        guild_commands = "/applications/{app}/guilds/{guild}/commands"
        return [
            ("GET", "/users/@me", self._get_me),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway),
            ("GET", commands, self._get_commands),
            ("PUT", commands, self._put_commands),
            ("GET", guild_commands, self._get_commands),
            ("PUT", guild_commands, self._put_commands),
            ("GET", "/guilds/{guild}/members/{uid}", self._get_member),
            ("GET", "/users/{uid}", self._get_user),
        ]

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
                "url": self.gateway.url,
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
            raise invalid_form_body(["body: must be an array"])
        problems = validation.validate_command_sync(body, guild=is_guild)
        if problems:
            self.sync_rejections.append(problems)
            log.warning("command sync rejected: %s", problems)
            raise invalid_form_body(problems)
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
        self.synced.set()
        return json_response(stored)

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
