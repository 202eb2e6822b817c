"""REST transport: the route table, authentication, fault injection and request bodies.

Discord's rules live in the route modules (`application`, `responses`, `channels`, `events`);
this module only turns an HTTP request into a call `handler(request, params, body)` and a
`DiscordError` into the JSON error Discord would answer.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import BodyPartReader, web

from emulator.faults import FaultPlan

log = logging.getLogger(__name__)

FILES = "__files__"  # where a multipart request's uploaded files travel with its JSON body

Handler = Callable[[web.Request, dict[str, str], Any], Awaitable[web.Response]]
Route = tuple[str, str, Handler]
"""(method, path pattern with `{name}` placeholders, handler)."""


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


def invalid_form_body(problems: Sequence[str]) -> DiscordError:
    """Discord's 400 for a body that breaks its rules (code 50035)."""
    return DiscordError(400, 50035, "Invalid Form Body", problems)


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


class Router:
    """Serves `/api/v10/...`: injected faults first, then the bot token, then the route."""

    def __init__(self, token: str, faults: FaultPlan) -> None:
        self.token = token
        self.faults = faults
        self.request_log: list[tuple[str, str, int]] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, routes: Sequence[Route]) -> None:
        """Serve each `(method, pattern, handler)`; `{name}` in a pattern matches one segment."""
        for method, pattern, handler in routes:
            regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
            self._routes.append((method, regex, handler))

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler for every REST request."""
        path = "/" + request.match_info["tail"]
        response = await self._answer(request, request.method, path)
        self.request_log.append((request.method, path, response.status))
        return response

    async def _answer(self, request: web.Request, method: str, path: str) -> web.Response:
        fault = self.faults.take(method, path)
        if fault is not None:
            if fault.status == 429:
                limited = {
                    "message": "You are being rate limited.",
                    "retry_after": fault.retry_after,
                    "global": False,
                }
                headers = {"Retry-After": str(fault.retry_after), "X-RateLimit-Scope": "user"}
                return json_response(limited, 429, headers)
            return json_response({"message": "emulated server error", "code": 0}, fault.status)
        # Interaction webhooks are authenticated by their token in the path, not the bot's.
        if request.headers.get("Authorization") != f"Bot {self.token}" and not path.startswith(
            ("/webhooks/", "/interactions/")
        ):
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        body = await _read_body(request)
        for route_method, regex, handler in self._routes:
            match = regex.match(path)
            if match and route_method == method:
                try:
                    return await handler(request, match.groupdict(), body)
                except DiscordError as error:
                    log.debug("emulator %s %s -> %s %s", method, path, error.status, error.body())
                    return json_response(error.body(), error.status)
        return json_response({"message": f"404: Not Found ({method} {path})", "code": 0}, 404)


async def _read_body(request: web.Request) -> Any:
    """The request's JSON (None without a body); a multipart one with its files under FILES."""
    if not request.can_read_body:
        return None
    if request.content_type.startswith("multipart/"):
        return await _read_multipart(request)
    raw = await request.read()
    return json.loads(raw) if raw else None


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
