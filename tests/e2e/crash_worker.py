"""A delivery process that dies (SIGKILL) at the bad moment; used by the crash tests.

    python -m tests.e2e.crash_worker API_BASE TOKEN DATABASE_URL CHANNEL_ID before|after

It logs in over REST with the real discord.py client, claims the due reminder and kills itself
either before posting (`before`) or after posting but before the bookkeeping (`after`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta

import discord

from bot.db import Database
from bot.reminders.service import ReminderService
from cogs.reminders import DiscordPoster


class DyingPoster(DiscordPoster):
    """Posts like the bot does, but the process is killed around the post."""

    def __init__(self, client: discord.Client, moment: str) -> None:
        super().__init__(client)  # type: ignore[arg-type]
        self.moment = moment

    async def post(self, channel_id: int, content: str, nonce: str) -> int:
        if self.moment == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        message_id = await super().post(channel_id, content, nonce)
        os.kill(os.getpid(), signal.SIGKILL)
        return message_id


async def main(api_base: str, token: str, url: str, channel_id: str, moment: str) -> None:
    discord.http.Route.BASE = api_base
    client = discord.Client(intents=discord.Intents.none())
    await client.login(token)
    database = Database(url)
    service = ReminderService(
        database, channel_id=int(channel_id), grace=timedelta(hours=6), default_offsets=(0,)
    )
    service.poster = DyingPoster(client, moment)
    await service.sweep()
    raise SystemExit("the reminder was not due: nothing to kill")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
