"""One replica acts on each interaction.

Discord sends every interaction to every gateway session of the shard, so replicas logged in
with one token all receive each command, click and form. Before discord.py parses one, the bot
inserts its id here; only the process whose insert wins goes on, the others drop it silently
(no second side effect, no "already acknowledged" error). Used on PostgreSQL, the replicas'
database; SQLite serves a single process.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col

from bot.db import Database
from bot.db.models import InteractionClaimRow, utcnow

KEEP = timedelta(hours=1)
"""Claims older than this are deleted (Discord's interaction tokens last 15 minutes)."""
CLEAN_EVERY = 500
"""Old claims are deleted every this many claims."""


class InteractionClaims:
    """Claims interactions in the database, for a process among replicas."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._claimed = 0

    async def claim(self, interaction_id: int) -> bool:
        """Whether this process won `interaction_id` (it then acts on it; nobody else does)."""
        statement = (
            self.database.insert(InteractionClaimRow)
            .values(id=interaction_id, created_at=utcnow())
            .on_conflict_do_nothing()
        )
        async with self.database.session() as session:
            won = (await session.exec(statement)).rowcount == 1
        self._claimed += 1
        if self._claimed % CLEAN_EVERY == 0:
            await self.forget_old()
        return won

    async def forget_old(self) -> None:
        """Delete the claims nobody needs any more."""
        async with self.database.session() as session:
            await session.exec(
                delete(InteractionClaimRow).where(
                    col(InteractionClaimRow.created_at) < utcnow() - KEEP
                )
            )
