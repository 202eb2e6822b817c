"""Discord's rules for answering interactions: the callback (once, within 3 seconds, of a
type that fits the interaction), followups, and the interaction webhook's messages (valid
for 15 minutes)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from emulator import validation
from emulator.interactions import (
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    MODAL,
    UPDATE_MESSAGE,
    InteractionRecord,
)
from emulator.messages import EPHEMERAL, LOADING, MessageStore
from emulator.rest import FILES, DiscordError, Route, invalid_form_body, json_response
from emulator.world import Message, World

INTERACTION_TOKEN_TTL = 15 * 60


class ResponseRoutes:
    """`/interactions/{id}/{token}/callback` and `/webhooks/{app}/{token}/...`."""

    world: World
    messages: MessageStore
    interactions: dict[int, InteractionRecord]
    interactions_by_token: dict[str, InteractionRecord]

    def response_routes(self) -> list[Route]:
        """The routes this class serves."""
        message = "/webhooks/{app}/{token}/messages/{mid}"
        return [
            ("POST", "/interactions/{iid}/{token}/callback", self._callback),
            ("POST", "/webhooks/{app}/{token}", self._followup),
            *((method, message, self._webhook_message) for method in ("GET", "PATCH", "DELETE")),
        ]

    def _interaction_for(self, token: str) -> InteractionRecord:
        record = self.interactions_by_token.get(token)
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
            raise invalid_form_body(problems)
        kind, data = body["type"], body.get("data") or {}
        if FILES in body:  # a multipart callback: its attachments belong to the message
            data = {**data, FILES: body[FILES]}
        message: Message | None = None
        if kind == CHANNEL_MESSAGE:
            message = self.messages.create(record.channel_id, data, interaction=record)
            record.original = message
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            flags = LOADING | (data.get("flags", 0) & EPHEMERAL)
            message = self.messages.create(
                record.channel_id, {"flags": flags}, interaction=record, validate=False
            )
            record.original = message
        elif kind == UPDATE_MESSAGE:
            message = self.messages.edit(self._component_message(record), data)
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
        """The message whose component `record` is a click on."""
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
        message = self.messages.create(record.channel_id, body or {}, interaction=record)
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
        message = self.messages.edit(message, body or {})
        record.touch()
        return json_response(message.payload(self.world.users))
