"""Starting the bot: the one code path used by `run`, `sandbox` and the end-to-end tests."""

from __future__ import annotations

import logging
import sys

from bot.app import NexusBot
from bot.config import Settings


def configure_logging(level: str = "INFO") -> None:
    """Human-readable logs on stderr."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    logging.getLogger("discord").setLevel(max(logging.getLevelName(level), logging.INFO))


async def serve(bot: NexusBot, token: str) -> None:
    """Log in with `token`, run until the bot is closed, then clean up."""
    async with bot:
        await bot.start(token, reconnect=True)


def create_bot(settings: Settings, **options: object) -> NexusBot:
    """The bot for these settings."""
    return NexusBot(settings, **options)  # type: ignore[arg-type]
