"""The moderator permission, declared to Discord and checked again at runtime.

Discord hides a command from members without its `default_member_permissions`, but a server
admin can override that in the integration settings, so every moderator command, button and
modal also checks `bot.moderation.policy.is_moderator` on the server side (as RoboDanny does).
"""

from __future__ import annotations

import time
from typing import TypeVar

import discord
from discord import app_commands

from bot.moderation.policy import is_moderator

T = TypeVar("T")

MODERATOR_PERMISSIONS = discord.Permissions(manage_messages=True)


class NotModerator(app_commands.CheckFailure):
    """The member is not a moderator."""

    def __init__(self) -> None:
        super().__init__("Only moderators can do that.")


def member_is_moderator(interaction: discord.Interaction) -> bool:
    """Whether the member behind `interaction` is a moderator (server-side rule)."""
    member = interaction.user
    role_ids = [role.id for role in getattr(member, "roles", [])]
    settings = interaction.client.settings  # type: ignore[attr-defined]  # a NexusBot
    return is_moderator(role_ids, interaction.permissions.value, settings.moderator_role_ids)


def ensure_moderator(interaction: discord.Interaction) -> None:
    """Raise `NotModerator` unless the member is a moderator (for buttons and modals)."""
    if not member_is_moderator(interaction):
        raise NotModerator()


class ModeratorGroup(app_commands.Group):
    """A command group for moderators: hidden by default permissions, refused at runtime."""

    def __init__(self) -> None:
        super().__init__(
            default_permissions=MODERATOR_PERMISSIONS, guild_only=True, extras={"moderator": True}
        )

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse non-moderators even when Discord showed them the command."""
        ensure_moderator(interaction)
        return True


class MemberCooldown:
    """At most `rate` uses per `per` seconds per member, across the commands it decorates.

    Like `app_commands.checks.cooldown`, but forgetting idle members only every `per`
    seconds instead of scanning every member on every use (that scan dominated under load).
    """

    def __init__(self, rate: int, per: float) -> None:
        self.rate, self.per = rate, per
        self.buckets: dict[int, app_commands.Cooldown] = {}
        self.swept = time.monotonic()

    def check(self, interaction: discord.Interaction) -> bool:
        """Raise `CommandOnCooldown` when the member is over the limit."""
        now = time.monotonic()
        if now - self.swept > self.per:
            self.buckets = {k: v for k, v in self.buckets.items() if now - v._last < self.per}
            self.swept = now
        bucket = self.buckets.setdefault(
            interaction.user.id, app_commands.Cooldown(self.rate, self.per)
        )
        retry_after = bucket.update_rate_limit(now)
        if retry_after:
            raise app_commands.CommandOnCooldown(bucket, retry_after)
        return True

    def __call__(self, func: T) -> T:
        """Use as a decorator on application commands."""
        return app_commands.check(self.check)(func)


# Abuse limits per member; the refusal is a friendly ephemeral message (cogs.errors).
lookup_cooldown = MemberCooldown(10, 30)
pairing_cooldown = MemberCooldown(5, 60)
moderator_cooldown = MemberCooldown(20, 60)
