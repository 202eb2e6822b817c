"""Background posts through discord.py: a rate limit too long to wait for is a retry later.

The bot never sleeps longer than `MAX_RATE_LIMIT_WAIT` inside one Discord call
(`max_ratelimit_timeout`): a background job that waited minutes would hold its claim past
`STALE_CLAIM`, and another sweep would take the work as abandoned and do it twice (a second
thread). A longer 429 raises `discord.RateLimited`, which these wrappers turn into a retryable
`DeliveryError`, so the claim is released and the job retried with backoff.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import discord

from bot.errors import DeliveryError

log = logging.getLogger(__name__)

MAX_RATE_LIMIT_WAIT = 30.0
"""Seconds one Discord call may wait out a 429 (well under the services' 60-s stale claim)."""

P = ParamSpec("P")
R = TypeVar("R")


def retry_long_rate_limits(
    call: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """`call`, with a rate limit longer than `MAX_RATE_LIMIT_WAIT` as a retryable failure."""

    @functools.wraps(call)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await call(*args, **kwargs)
        except discord.RateLimited as error:
            raise DeliveryError(
                f"rate limited for {error.retry_after:.0f} s", retryable=True
            ) from error

    return wrapper


async def post_to_modlog(client: discord.Client, text: str) -> None:
    """Post to the mod-log channel when one is configured (a failure is only logged)."""
    channel_id = client.settings.modlog_channel_id  # type: ignore[attr-defined]  # a NexusBot
    if channel_id is None:
        return
    try:
        await client.get_partial_messageable(channel_id).send(
            text[:2000], allowed_mentions=discord.AllowedMentions.none()
        )
    except discord.HTTPException:
        log.warning("could not post to the mod-log channel %s", channel_id)
