"""The moderator permission, declared to Discord and checked again at runtime.

Discord hides a command from members without its `default_member_permissions`, but a server
admin can override that in the integration settings, so every moderator command, button and
modal also checks `bot.moderation.policy.is_moderator` on the server side (as RoboDanny does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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
    settings = interaction.client.settings  # type: ignore[attr-defined]
    return is_moderator(role_ids, interaction.permissions.value, settings.moderator_role_ids)


def ensure_moderator(interaction: discord.Interaction) -> None:
    """Raise `NotModerator` unless the member is a moderator (for buttons and modals)."""
    if not member_is_moderator(interaction):
        raise NotModerator()


def moderator_only() -> Callable[[T], T]:
    """Decorator: hide from non-moderators (default permissions) and refuse them at runtime."""

    def predicate(interaction: discord.Interaction) -> bool:
        ensure_moderator(interaction)
        return True

    def decorator(func: Any) -> Any:
        func = app_commands.default_permissions(**dict(MODERATOR_PERMISSIONS))(func)
        func = app_commands.check(predicate)(func)
        return func

    return decorator


def per_member(interaction: discord.Interaction) -> int:
    """Cooldown bucket: the member."""
    return interaction.user.id


# Abuse limits per member; the refusal is a friendly ephemeral message (cogs.errors).
lookup_cooldown = app_commands.checks.cooldown(10, 30, key=per_member)
pairing_cooldown = app_commands.checks.cooldown(5, 60, key=per_member)
moderator_cooldown = app_commands.checks.cooldown(20, 60, key=per_member)
