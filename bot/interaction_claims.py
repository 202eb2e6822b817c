"""One replica acts on each interaction.

Discord sends every interaction to every gateway session of the shard, so replicas logged in
with one token all receive each command, click and form. Before discord.py parses one, the bot
inserts its id here; only the process whose insert wins goes on, the others drop it silently
(no second side effect, no "already acknowledged" error). Used on PostgreSQL, the replicas'
database; SQLite serves a single process.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import col, select

from bot.db import Database
from bot.db.models import InteractionClaimRow, utcnow

log = logging.getLogger(__name__)

KEEP = timedelta(hours=1)
"""Claims older than this are deleted (Discord's interaction tokens last 15 minutes)."""
CLEAN_EVERY = 500
"""Old claims are deleted every this many claims."""
LOCK_TIMEOUT = "1s"
"""PostgreSQL gives up a claim that waits this long for a lock (the caller answers anyway)."""


class InteractionClaims:
    """Claims interactions in the database, for a process among replicas."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._claimed = 0
        self._cleaning: asyncio.Task[None] | None = None

    async def claim(self, interaction_id: int) -> bool:
        """Whether this process won `interaction_id` (it then acts on it; nobody else does)."""
        statement = (
            self.database.insert(InteractionClaimRow)
            .values(id=interaction_id, created_at=utcnow())
            .on_conflict_do_nothing()
        )
        async with self.database.session() as session:
            if not self.database.is_sqlite:  # a locked table: give up soon, answer anyway
                await session.exec(select(func.set_config("lock_timeout", LOCK_TIMEOUT, True)))
            won = (await session.exec(statement)).rowcount == 1
        self._claimed += 1
        if self._claimed % CLEAN_EVERY == 0 and (self._cleaning is None or self._cleaning.done()):
            self._cleaning = asyncio.create_task(self._forget_old_logged())  # not in the claim
        return won

    async def _forget_old_logged(self) -> None:
        try:
            await self.forget_old()
        except Exception:
            log.warning("could not delete old interaction claims", exc_info=True)

    async def forget_old(self) -> None:
        """Delete the claims nobody needs any more."""
        async with self.database.session() as session:
            await session.exec(
                delete(InteractionClaimRow).where(
                    col(InteractionClaimRow.created_at) < utcnow() - KEEP
                )
            )
