"""One way to answer failures: a short ephemeral message, an error id, a logged traceback."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import UserError

log = logging.getLogger(__name__)

MAX_MESSAGE = 2000
"""Discord refuses longer message content (400), and the user would get no answer at all."""

UNKNOWN_INTERACTION = 10062
"""Discord's error code for a reply to an interaction it has already given up on."""
ALREADY_ACKNOWLEDGED = 40060
"""Discord's error code for a second first answer: another replica answered first."""

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class TooLate(app_commands.CheckFailure):
    """The interaction waited past the point where an answer could still reach the member in
    time: it is dropped before any work (the bot is overloaded; see `NexusTree`)."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"waited {waited:.1f} s")
        self.waited = waited


class InteractionOutcome(StrEnum):
    """What `report_error` (or success) makes of an interaction, as counted in the metrics."""

    OK = "ok"
    REFUSED = "refused"  # bad input, a failed check or a cooldown
    ERROR = "error"  # a bug
    LATE = "late"  # Discord refused the reply as too late (or another replica answered)


def new_error_id() -> str:
    """A short id that links what the user sees to the traceback in the log."""
    return secrets.token_hex(3).upper()


def describe(interaction: discord.Interaction[Any]) -> str:
    """What the interaction was, for the log."""
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: Mapping[str, Any] = interaction.data or {}
    return f"component {data.get('custom_id', '?')}"


async def report_error(
    interaction: discord.Interaction[Any], error: Exception
) -> InteractionOutcome:
    """Tell the user what went wrong (with an error id for real bugs) and log the traceback.

    Returns the outcome for the metrics: `refused` for bad input, checks and cooldowns,
    `error` for bugs, `late` when Discord refused the reply as too late or the interaction
    was dropped for having waited too long (nothing is sent).
    """
    original = getattr(error, "original", error)
    if isinstance(original, TooLate):
        # Dropped unanswered before any work: doing it would only end in the 10062 below.
        log.warning(
            "%s dropped unanswered: it waited %.1f s", describe(interaction), original.waited
        )
        return InteractionOutcome.LATE
    if isinstance(original, discord.HTTPException) and original.code == ALREADY_ACKNOWLEDGED:
        # Another replica answered first (its claim could not be taken in time): one answer
        # reached the member, which is all that was wanted.
        log.info("%s was answered by another replica", describe(interaction))
        return InteractionOutcome.LATE
    if isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION:
        # The bot answered after Discord's deadline: no reply can reach the member any more,
        # so one line and no second send (that would fail the same way, and cost more work
        # exactly when the bot is behind).
        log.warning("%s answered too late: Discord no longer knows it", describe(interaction))
        return InteractionOutcome.LATE
    outcome = InteractionOutcome.REFUSED
    if isinstance(original, UserError):
        text = discord.utils.escape_mentions(str(original))
    elif isinstance(original, app_commands.CommandOnCooldown):
        text = f"Slow down a little: try again in {original.retry_after:.0f} s."
    elif isinstance(original, app_commands.CheckFailure):
        text = str(original) or "You can't use this command."
    else:
        outcome = InteractionOutcome.ERROR
        error_id = new_error_id()
        log.error("error %s in %s", error_id, describe(interaction), exc_info=original)
        text = f"Something went wrong on our side (error id `{error_id}`). Please try again later."
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])
        elif interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver the error message for %s", describe(interaction))
    return outcome


def friendly_errors(callback: F) -> F:
    """Wrap a button/select/modal callback so failures reach the user like command errors,
    and the interaction is counted in the metrics and waited for at shutdown like a command."""

    @functools.wraps(callback)
    async def wrapper(self: Any, interaction: discord.Interaction[Any], *args: Any) -> Any:
        track = getattr(interaction.client, "track_component", None)
        finished = track(interaction) if track is not None else None
        outcome = InteractionOutcome.OK
        try:
            return await callback(self, interaction, *args)
        except Exception as error:
            outcome = await report_error(interaction, error)
            return None
        finally:
            if finished is not None:
                finished(outcome)

    return wrapper  # type: ignore[return-value]  # callback's own signature
