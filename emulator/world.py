"""The emulator's in-memory Discord world: users, one guild, channels, messages, commands.

Everything here is plain data plus the JSON shapes Discord's API uses for it, so the REST
routes and the gateway serve the very same objects.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (https://discord.com/developers/docs/topics/permissions)
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)

TEXT_CHANNEL, DM_CHANNEL, PUBLIC_THREAD, PRIVATE_THREAD = 0, 1, 11, 12


STABLE_IDS_MS = 1_767_225_600_000  # 2026-01-01: the instant a world's own ids come from
"""The sandbox keeps its database between runs: its members must keep their ids."""


class SnowflakeFactory:
    """Makes increasing, realistic snowflake ids; while `fixed_ms` is set (a world being built),
    ids from that instant, so the same world gets the same ids in every run."""

    def __init__(self, fixed_ms: int | None = None) -> None:
        self._counter = itertools.count()
        self.fixed_ms = fixed_ms

    def __call__(self) -> int:
        count = next(self._counter)
        now = int(time.time() * 1000)
        # A fixed instant never gives the same id twice, however many are made.
        ms = now if self.fixed_ms is None else self.fixed_ms + count // 4096
        return ((ms - DISCORD_EPOCH_MS) << 22) | (count % 4096)


def iso_now() -> str:
    """The current time as Discord writes it."""
    return datetime.now(UTC).isoformat()


@dataclass
class User:
    """A Discord user (person or bot)."""

    id: int
    username: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        """The user object."""
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.username.capitalize(),
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class Role:
    """A guild role; the @everyone role's id equals the guild id."""

    id: int
    name: str
    permissions: int
    position: int = 0

    def payload(self) -> dict[str, Any]:
        """The role object."""
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Member:
    """A user's membership in the guild."""

    user: User
    role_ids: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)
    timed_out_until: str | None = None  # ISO 8601: a moderator's timeout ("mute") ends then

    def payload(self, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        """The guild member object (optionally with `permissions`, as in interactions)."""
        data: dict[str, Any] = {
            "roles": [str(role_id) for role_id in self.role_ids],
            "joined_at": self.joined_at,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "communication_disabled_until": self.timed_out_until,
        }
        if with_user:
            data["user"] = self.user.payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class Channel:
    """A text channel, thread or DM channel."""

    id: int
    name: str
    type: int = TEXT_CHANNEL
    guild_id: int | None = None
    parent_id: int | None = None
    owner_id: int | None = None
    recipient: User | None = None
    member_ids: set[int] = field(default_factory=set)
    position: int = 0

    def payload(self) -> dict[str, Any]:
        """The channel object."""
        data: dict[str, Any] = {"id": str(self.id), "type": self.type, "name": self.name}
        if self.type == DM_CHANNEL:
            data["recipients"] = [self.recipient.payload()] if self.recipient else []
            data["last_message_id"] = None
            return data
        data.update(
            guild_id=str(self.guild_id),
            position=self.position,
            permission_overwrites=[],
            nsfw=False,
            topic=None,
            last_message_id=None,
            rate_limit_per_user=0,
            flags=0,
        )
        if self.type in (PUBLIC_THREAD, PRIVATE_THREAD):
            data.update(
                parent_id=str(self.parent_id),
                owner_id=str(self.owner_id),
                message_count=0,
                member_count=len(self.member_ids),
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 10080,
                    "archive_timestamp": iso_now(),
                    "locked": False,
                    "invitable": False,
                },
            )
        return data


ATTACHMENT_URL = "https://cdn.sandbox.invalid/attachments"
"""Where attachments would be served (the sandbox keeps their bytes in `Message.files`)."""


@dataclass
class Message:
    """A message as stored by the emulator; `payload()` is Discord's message object."""

    id: int
    channel_id: int
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    nonce: str | None = None
    guild_id: int | None = None
    mention_everyone: bool = False
    mention_user_ids: list[int] = field(default_factory=list)
    mention_role_ids: list[int] = field(default_factory=list)
    interaction_id: int | None = None
    type: int = 0
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    created_monotonic: float = field(default_factory=time.monotonic)
    files: dict[str, bytes] = field(default_factory=dict)  # uploaded attachments by file name
    referenced: Message | None = None  # the message this one replies to

    @property
    def created_at(self) -> datetime:
        """When the message was created."""
        return datetime.fromisoformat(self.timestamp)

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user sees it (flag 64)."""
        return bool(self.flags & 64)

    def payload(self, users: dict[int, User]) -> dict[str, Any]:
        """The message object."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": self.mention_everyone,
            "mentions": [users[uid].payload() for uid in self.mention_user_ids if uid in users],
            "mention_roles": [str(rid) for rid in self.mention_role_ids],
            "attachments": [
                {
                    "id": str(self.id + n),
                    "filename": name,
                    "size": len(data),
                    "url": f"{ATTACHMENT_URL}/{self.channel_id}/{self.id}/{name}",
                    "proxy_url": f"{ATTACHMENT_URL}/{self.channel_id}/{self.id}/{name}",
                }
                for n, (name, data) in enumerate(self.files.items())
            ],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.referenced is not None:
            replied = self.referenced
            data["message_reference"] = {
                "type": 0,
                "message_id": str(replied.id),
                "channel_id": str(replied.channel_id),
                **({"guild_id": str(replied.guild_id)} if replied.guild_id else {}),
            }
            data["referenced_message"] = {
                k: v for k, v in replied.payload(users).items() if k != "referenced_message"
            }
        return data


@dataclass
class World:
    """One application, one bot user, one guild with its roles, members and channels."""

    snowflake: SnowflakeFactory
    application_id: int
    bot_user: User
    guild_id: int
    guild_name: str
    owner_id: int
    users: dict[int, User] = field(default_factory=dict)
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    global_commands: list[dict[str, Any]] = field(default_factory=list)
    guild_commands: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def create(cls, guild_name: str = "ProDev Nexus", *, stable: bool = False) -> World:
        """A fresh world with the bot user and an @everyone role; with `stable`, what is made
        until `ids_from_now` gets the same ids in every run."""
        snowflake = SnowflakeFactory(fixed_ms=STABLE_IDS_MS if stable else None)
        app_id = snowflake()
        bot_user = User(app_id, "nexus-bot", bot=True)
        guild_id = snowflake()
        world = cls(snowflake, app_id, bot_user, guild_id, guild_name, owner_id=0)
        world.users[bot_user.id] = bot_user
        world.roles[guild_id] = Role(guild_id, "@everyone", EVERYONE_PERMISSIONS)
        world.members[bot_user.id] = Member(bot_user)
        return world

    def ids_from_now(self) -> None:
        """The world is built: what is made from now on (messages, threads) gets ids of the
        current time, after the stable ids of the world's members, channels and roles."""
        self.snowflake.fixed_ms = None

    def add_role(self, name: str, permissions: int = 0) -> Role:
        """Create a role above the existing ones."""
        role = Role(self.snowflake(), name, permissions, position=len(self.roles))
        self.roles[role.id] = role
        return role

    def add_member(
        self, username: str, roles: tuple[Role, ...] = (), *, owner: bool = False
    ) -> User:
        """Create a user who is a member of the guild."""
        user = User(self.snowflake(), username)
        self.users[user.id] = user
        self.members[user.id] = Member(user, [role.id for role in roles])
        if owner:
            self.owner_id = user.id
        return user

    def add_channel(self, name: str) -> Channel:
        """Create a guild text channel."""
        channel = Channel(
            self.snowflake(), name, guild_id=self.guild_id, position=len(self.channels)
        )
        self.channels[channel.id] = channel
        return channel

    def dm_channel(self, user: User) -> Channel:
        """The DM channel between the bot and `user`, created on first use."""
        for channel in self.channels.values():
            if channel.type == DM_CHANNEL and channel.recipient is user:
                return channel
        channel = Channel(self.snowflake(), f"dm-{user.username}", type=DM_CHANNEL, recipient=user)
        self.channels[channel.id] = channel
        return channel

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions of a member (owner and administrators have all). A timed
        out member keeps only View Channel and Read Message History until the timeout ends,
        as Discord computes them (also in an interaction's `member.permissions`)."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members[user_id]
        value = self.roles[self.guild_id].permissions
        for role_id in member.role_ids:
            value |= self.roles[role_id].permissions
        if value & ADMINISTRATOR:
            return ALL_PERMISSIONS
        timeout = member.timed_out_until
        if timeout and datetime.fromisoformat(timeout) > datetime.now(UTC):
            return value & (VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        return value

    def channel_messages(self, channel_id: int) -> list[Message]:
        """Messages of a channel, oldest first."""
        return [m for m in self.messages.values() if m.channel_id == channel_id]

    def guild_payload(self) -> dict[str, Any]:
        """The GUILD_CREATE payload with every role, channel and member."""
        guild_channels = [c.payload() for c in self.channels.values() if c.type == TEXT_CHANNEL]
        threads = [
            c.payload() for c in self.channels.values() if c.type in (PUBLIC_THREAD, PRIVATE_THREAD)
        ]
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "owner_id": str(self.owner_id or self.bot_user.id),
            "unavailable": False,
            "member_count": len(self.members),
            "large": False,
            "roles": [role.payload() for role in self.roles.values()],
            "channels": guild_channels,
            "threads": threads,
            "members": [member.payload() for member in self.members.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "joined_at": iso_now(),
        }
