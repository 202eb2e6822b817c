"""The emulator on its own: Discord's rules over plain HTTP, no bot involved."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.sandbox.cast import Cast, build_cast
from emulator.interactions import InteractionRecord, NoResponse, UsageError
from emulator.messages import resolve_mentions
from emulator.server import DiscordEmulator
from emulator.world import (
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
)

COMMANDS = [
    {
        "name": "learn",
        "description": "Look up",
        "type": 1,
        "options": [
            {
                "type": 3,
                "name": "query",
                "description": "What",
                "required": True,
                "autocomplete": True,
            }
        ],
    },
    {
        "name": "pair",
        "description": "Pairing",
        "type": 1,
        "options": [
            {
                "type": 1,
                "name": "join",
                "description": "Join",
                "options": [
                    {
                        "type": 3,
                        "name": "role",
                        "description": "Role",
                        "required": True,
                        "choices": [
                            {"name": "frontend", "value": "frontend"},
                            {"name": "backend", "value": "backend"},
                        ],
                    },
                    {"type": 6, "name": "buddy", "description": "Someone"},
                ],
            }
        ],
    },
    {
        "name": "mod",
        "description": "Moderators only",
        "type": 1,
        "default_member_permissions": str(1 << 13),
    },
]


async def _nowhere(_payload: dict[str, Any]) -> None:
    return None


@pytest.fixture
async def world() -> AsyncIterator[tuple[DiscordEmulator, Cast, aiohttp.ClientSession]]:
    cast = build_cast()
    emulator = DiscordEmulator(cast.world)
    emulator._dispatch_interaction = _nowhere  # type: ignore[method-assign]  # no bot here
    await emulator.start()
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with aiohttp.ClientSession(emulator.api_base + "/", headers=headers) as http:
        yield emulator, cast, http
    await emulator.stop()


async def call(
    http: aiohttp.ClientSession, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    async with http.request(method, path.lstrip("/"), json=body) as response:
        text = await response.text()
        if text:
            assert response.headers["Content-Type"] == "application/json"
        return response.status, json.loads(text) if text else None


def app_path(emulator: DiscordEmulator, cast: Cast) -> str:
    return f"applications/{emulator.world.application_id}/guilds/{cast.world.guild_id}/commands"


async def synced(world: tuple[DiscordEmulator, Cast, aiohttp.ClientSession]) -> None:
    emulator, cast, http = world
    status, body = await call(http, "PUT", app_path(emulator, cast), COMMANDS)
    assert status == 200, body


async def test_wrong_token_is_unauthorized(world: Any) -> None:
    emulator, _, _ = world
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            emulator.api_base + "/users/@me", headers={"Authorization": "Bot wrong"}
        ) as response,
    ):
        assert response.status == 401


async def test_valid_sync_gets_ids_and_string_permissions(world: Any) -> None:
    emulator, cast, http = world
    status, body = await call(http, "PUT", app_path(emulator, cast), COMMANDS)
    assert status == 200
    assert all(c["id"] and c["guild_id"] == str(cast.world.guild_id) for c in body)
    assert body[2]["default_member_permissions"] == str(1 << 13)
    again = (await call(http, "PUT", app_path(emulator, cast), COMMANDS))[1]
    assert [c["id"] for c in again] == [c["id"] for c in body]  # ids are stable


async def test_invalid_sync_is_rejected_with_400_like_discord(world: Any) -> None:
    emulator, cast, http = world
    bad = [{"name": "Learn", "description": "x" * 101, "type": 1}]
    status, body = await call(http, "PUT", app_path(emulator, cast), bad)
    assert status == 400 and body["code"] == 50035
    assert emulator.sync_rejections and emulator.world.guild_commands == []


async def interaction(world: Any, **values: Any) -> InteractionRecord:
    emulator, cast, _ = world
    await synced(world)
    return await emulator.slash(cast.learner, "learn", query="docker", **values)


async def test_second_acknowledgement_is_rejected(world: Any) -> None:
    _, _, http = world
    record = await interaction(world)
    path = f"interactions/{record.id}/{record.token}/callback"
    first = await call(http, "POST", path, {"type": 4, "data": {"content": "hi"}})
    second = await call(http, "POST", path, {"type": 4, "data": {"content": "again"}})
    assert first[0] == 200 and first[1]["resource"]["message"]["content"] == "hi"
    assert second[0] == 400 and second[1]["code"] == 40060


async def test_late_acknowledgement_is_unknown_interaction(world: Any) -> None:
    _, _, http = world
    record = await interaction(world)
    record.created -= 3.5
    status, body = await call(
        http,
        "POST",
        f"interactions/{record.id}/{record.token}/callback",
        {"type": 4, "data": {"content": "too late"}},
    )
    assert status == 404 and body["code"] == 10062
    with pytest.raises(NoResponse):
        await record.wait_ack(timeout=0.05)


async def test_oversized_message_is_rejected(world: Any) -> None:
    _, _, http = world
    record = await interaction(world)
    status, _ = await call(
        http,
        "POST",
        f"interactions/{record.id}/{record.token}/callback",
        {"type": 4, "data": {"content": "x" * 2001}},
    )
    assert status == 400 and record.rejected


async def test_enforce_nonce_returns_the_earlier_message(world: Any) -> None:
    _, cast, http = world
    path = f"channels/{cast.announce.id}/messages"
    body = {"content": "Reminder", "nonce": "r-1-7d", "enforce_nonce": True}
    first = (await call(http, "POST", path, body))[1]
    second = (await call(http, "POST", path, body))[1]
    assert first["id"] == second["id"]
    assert len(cast.world.channel_messages(cast.announce.id)) == 1


async def test_enforce_nonce_is_per_author_across_channels(world: Any) -> None:
    """Discord de-duplicates an author's nonce in every channel: the same nonce in a DM returns
    the channel's message and sends no DM."""
    _, cast, http = world
    body = {"content": "Reminder", "nonce": "same-nonce", "enforce_nonce": True}
    posted = (await call(http, "POST", f"channels/{cast.announce.id}/messages", body))[1]
    dm = (await call(http, "POST", "users/@me/channels", {"recipient_id": str(cast.learner.id)}))[1]
    echoed = (await call(http, "POST", f"channels/{dm['id']}/messages", body))[1]
    assert echoed["id"] == posted["id"] and echoed["channel_id"] == str(cast.announce.id)
    assert cast.world.channel_messages(int(dm["id"])) == []


async def test_closed_dms_answer_403(world: Any) -> None:
    emulator, cast, http = world
    emulator.closed_dm_user_ids.add(cast.learner.id)
    dm = (await call(http, "POST", "users/@me/channels", {"recipient_id": str(cast.learner.id)}))[1]
    status, body = await call(http, "POST", f"channels/{dm['id']}/messages", {"content": "hi"})
    assert status == 403 and body["code"] == 50007


async def test_faults_are_injected_then_cleared(world: Any) -> None:
    emulator, cast, http = world
    emulator.faults.add("POST", r"/messages$", 429, retry_after=0.5)
    emulator.faults.add("POST", r"/messages$", 502)
    path = f"channels/{cast.announce.id}/messages"
    limited = await call(http, "POST", path, {"content": "a"})
    failed = await call(http, "POST", path, {"content": "a"})
    ok = await call(http, "POST", path, {"content": "a"})
    assert limited[0] == 429 and limited[1]["retry_after"] == 0.5
    assert failed[0] == 502 and ok[0] == 200


async def test_hidden_command_needs_permission_unless_bypassed(world: Any) -> None:
    emulator, cast, _ = world
    await synced(world)
    with pytest.raises(UsageError, match="hidden"):
        await emulator.slash(cast.learner, "mod")
    await emulator.slash(cast.moderator, "mod")
    await emulator.slash(cast.learner, "mod", bypass_permissions=True)


async def test_options_are_built_like_discord(world: Any) -> None:
    emulator, cast, _ = world
    await synced(world)
    record = await emulator.slash(cast.learner, "pair join", role="backend", buddy="linus")
    data = record.payload["data"]
    sub = data["options"][0]
    assert sub["type"] == 1 and sub["name"] == "join"
    assert {o["name"]: o["value"] for o in sub["options"]} == {
        "role": "backend",
        "buddy": str(cast.learner2.id),
    }
    assert str(cast.learner2.id) in data["resolved"]["users"]
    with pytest.raises(UsageError, match="one of"):
        await emulator.slash(cast.learner, "pair join", role="designer")
    with pytest.raises(UsageError, match="required"):
        await emulator.slash(cast.learner, "pair join")


def test_mentions_follow_allowed_mentions() -> None:
    assert resolve_mentions("@everyone <@1> <@&2>", None) == (True, [1], [2])
    safe = {"parse": ["users"]}
    assert resolve_mentions("@everyone <@1> <@&2>", safe) == (False, [1], [])
    assert resolve_mentions("<@&2>", {"parse": [], "roles": ["2"]}) == (False, [], [2])


async def test_wait_message_times_out_without_reply() -> None:
    record = InteractionRecord(1, "t", 2, build_cast().learner, 1, {})
    record.acknowledged.set()
    with pytest.raises(NoResponse):
        await asyncio.wait_for(record.wait_message(timeout=0.05), 1)


async def test_a_reply_references_a_message_of_its_channel_and_pings_as_allowed(
    world: Any,
) -> None:
    emulator, cast, http = world
    asked = await emulator.say(cast.learner, "how do i deploy")
    path = f"channels/{asked.channel_id}/messages"
    reference = {"message_id": str(asked.id)}
    status, reply = await call(
        http,
        "POST",
        path,
        {
            "content": "See Docker",
            "message_reference": reference,
            "allowed_mentions": {"parse": [], "replied_user": True},
        },
    )
    assert status == 200 and reply["type"] == 19
    assert reply["message_reference"]["message_id"] == str(asked.id)
    assert reply["referenced_message"]["content"] == "how do i deploy"
    assert [m["id"] for m in reply["mentions"]] == [str(cast.learner.id)]
    quiet = (
        await call(
            http,
            "POST",
            path,
            {"content": "x", "message_reference": reference, "allowed_mentions": {"parse": []}},
        )
    )[1]
    assert quiet["type"] == 19 and quiet["mentions"] == []
    # An unknown message: 400, unless the bot said to post anyway.
    gone = {"message_id": str(asked.id + 999)}
    status, body = await call(http, "POST", path, {"content": "x", "message_reference": gone})
    assert status == 400 and body["code"] == 50035
    anyway = {**gone, "fail_if_not_exists": False}
    status, body = await call(http, "POST", path, {"content": "x", "message_reference": anyway})
    assert status == 200 and body["type"] == 0 and "message_reference" not in body


async def test_a_message_command_carries_the_message_the_bot_is_not_sent(world: Any) -> None:
    """Without the MESSAGE_CONTENT intent the bot's MESSAGE_CREATE has no text (unless it is
    mentioned); a message command's resolved message has it whatever the intents."""
    emulator, cast, http = world
    events: list[tuple[str, Any]] = []

    async def record(event: str, data: Any) -> None:
        events.append((event, data))

    emulator.gateway.dispatch = record  # type: ignore[method-assign]
    menu = {"type": 3, "name": "Answer with Nexus"}
    status, _ = await call(http, "PUT", app_path(emulator, cast), [*COMMANDS, menu])
    assert status == 200
    asked = await emulator.say(cast.learner, "how do i deploy")
    mentioning = await emulator.say(cast.learner, f"<@{cast.world.bot_user.id}> how do i deploy")
    [(_, plain), (_, mentioned)] = events
    assert plain["content"] == "" and plain["author"]["id"] == str(cast.learner.id)
    assert mentioned["content"] == mentioning.content
    record_ = await emulator.message_command(cast.learner2, "Answer with Nexus", asked)
    data = record_.payload["data"]
    assert data["type"] == 3 and data["target_id"] == str(asked.id)
    assert data["resolved"]["messages"][str(asked.id)]["content"] == "how do i deploy"
    with pytest.raises(UsageError, match="no message command"):
        await emulator.message_command(cast.learner, "learn", asked)  # a slash command's name


async def test_a_members_message_pings_everyone_only_with_the_permission(world: Any) -> None:
    emulator, cast, _ = world
    learner_says = await emulator.say(cast.learner, "@everyone look")
    admin_says = await emulator.say(cast.admin, "@everyone look")
    assert not learner_says.mention_everyone and admin_says.mention_everyone


async def test_a_bot_gets_the_text_of_direct_messages(world: Any) -> None:
    """The MESSAGE_CONTENT rule spares DMs."""
    emulator, cast, _ = world
    events: list[Any] = []

    async def record(_event: str, data: Any) -> None:
        events.append(data)

    emulator.gateway.dispatch = record  # type: ignore[method-assign]
    await emulator.say(cast.learner, "hello bot", channel=cast.world.dm_channel(cast.learner))
    assert events[0]["content"] == "hello bot"


async def test_a_member_without_send_messages_cannot_post(world: Any) -> None:
    """A read-only channel, or a mute: Discord refuses the message (50013)."""
    emulator, cast, _ = world
    everyone = cast.world.roles[cast.world.guild_id]
    everyone.permissions &= ~(SEND_MESSAGES | SEND_MESSAGES_IN_THREADS)
    with pytest.raises(UsageError, match="Missing Permissions"):
        await emulator.say(cast.learner, "hello")
    await emulator.say(cast.admin, "still open to admins")
    await emulator.say(
        cast.learner, "a DM is not the server's", channel=cast.world.dm_channel(cast.learner)
    )


async def test_a_timed_out_member_keeps_only_view_and_history(world: Any) -> None:
    """Discord: timed out members lose every permission but View Channel and Read Message
    History (administrators are exempt), so they cannot post either."""
    emulator, cast, _ = world
    member = cast.world.members[cast.learner.id]
    member.timed_out_until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert cast.world.permissions_of(cast.learner.id) == VIEW_CHANNEL | READ_MESSAGE_HISTORY
    with pytest.raises(UsageError, match="Missing Permissions"):
        await emulator.say(cast.learner, "hello")
    member.timed_out_until = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    await emulator.say(cast.learner, "the timeout is over")
