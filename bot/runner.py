"""Starting the bot: the one code path used by `run`, `sandbox` and the end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from typing import Any

from bot.app import NexusBot
from bot.config import Settings

log = logging.getLogger(__name__)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialize a record."""
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class RedactSecrets(logging.Filter):
    """Replace secrets (the token) wherever they would appear in a log line."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redacted."""
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


def drop_voice_notice(record: logging.LogRecord) -> bool:
    """discord.py warns that voice is unavailable; this bot has no voice features."""
    return not (record.name == "discord.client" and "voice will NOT" in record.getMessage())


def configure_logging(
    level: str = "INFO", *, json_format: bool = False, secrets: tuple[str, ...] = ()
) -> None:
    """Logs on stderr: readable lines, or JSON with `NEXUS_LOG_FORMAT=json`; secrets redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_format
        else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    )
    handler.addFilter(RedactSecrets(secrets))
    handler.addFilter(drop_voice_notice)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("discord").setLevel(max(logging.getLevelName(level), logging.INFO))


async def serve(bot: NexusBot, token: str) -> None:
    """Log in with `token` and run until closed; SIGTERM and SIGINT close it gracefully."""
    loop = asyncio.get_running_loop()
    stopping: set[asyncio.Task[None]] = set()

    def stop() -> None:
        log.info("signal received: finishing in-flight interactions, then stopping")
        stopping.add(asyncio.create_task(bot.close()))

    handled = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop)
            handled.append(sig)
    try:
        async with bot:
            await bot.start(token, reconnect=True)
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        if stopping:
            await asyncio.gather(*stopping)


def create_bot(settings: Settings, **options: Any) -> NexusBot:
    """The bot for these settings."""
    return NexusBot(settings, **options)
