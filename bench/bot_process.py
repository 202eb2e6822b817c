"""Run the real bot against an emulator in another process (used by the load benchmark).

    python bench/bot_process.py API_BASE GATEWAY_URL TOKEN

Settings come from the environment, as for `python -m bot run`.
"""

from __future__ import annotations

import asyncio
import sys

import discord
import yarl

from bot.config import load_settings
from bot.runner import configure_logging, create_bot, serve


def main(api_base: str, gateway: str, token: str) -> None:
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    settings = load_settings()
    configure_logging(settings.log_level)
    asyncio.run(serve(create_bot(settings, guild_ready_timeout=0.05), token))


if __name__ == "__main__":
    main(*sys.argv[1:])
