"""The ledger of posts that must happen once: reminder posts, DM copies, introductions (with
their threads) and check-ins.

Each kind of post is a table whose rows carry a status, the time a process claimed the row and,
where a claim must be told from a later one, a claim token. One process wins a row with a
conditional UPDATE (`claim`), posts, then records the outcome (`finish`, only while it still
`held` the claim). A claim held longer than `STALE_CLAIM` belongs to a process that died: the
next sweep takes it over (`stale`) and looks for the earlier post before posting again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, col

from bot.db import Database

STALE_CLAIM = timedelta(seconds=60)
"""A claim older than this was left by a process that died (a post takes seconds)."""

CLAIMED = "claimed"
"""The status of a claimed row, in every ledger (`Delivery.CLAIMED`, `GroupStatus.CLAIMED`)."""


@dataclass(frozen=True)
class Ledger:
    """The delivery columns of one kind of post."""

    table: type[SQLModel]
    status: Any  # the status column
    claimed_at: Any  # when the current claim was taken
    token: Any = None  # the claim token column, where there is one

    def stale(self, now: datetime, held_for: timedelta = STALE_CLAIM) -> ColumnElement[bool]:
        """Rows claimed at least `held_for` ago: by a process that died (a single process
        that just started knows every claim is stale and passes 0)."""
        return and_(self.status == CLAIMED, col(self.claimed_at) <= now - held_for)

    def open(self, waiting: str, now: datetime) -> ColumnElement[bool]:
        """Rows a process may claim now: those `waiting`, and stale claims."""
        return or_(self.status == waiting, self.stale(now))

    async def claim(
        self,
        database: Database,
        row_id: int,
        condition: ColumnElement[bool],
        now: datetime,
        **values: Any,
    ) -> str | None:
        """Claim row `row_id` if `condition` holds; the claim's token when this process won
        it (also set on the row, where the ledger has a token column), else None."""
        token = str(uuid.uuid4())
        values = {self.status.key: CLAIMED, self.claimed_at.key: now, **values}
        if self.token is not None:
            values[self.token.key] = token
        async with database.session() as session:
            result = await session.exec(
                update(self.table).where(and_(self._row(row_id), condition)).values(**values)
            )
        return token if result.rowcount == 1 else None

    def _row(self, row_id: int) -> ColumnElement[bool]:
        """The row `row_id` of the table."""
        return col(self.table.id) == row_id  # type: ignore[attr-defined]  # every ledger table has one

    def held(self, token: str) -> ColumnElement[bool]:
        """The row is still under the claim `token` (no other process took it over)."""
        return self.token == token  # type: ignore[no-any-return]  # a column, typed Any

    async def finish(
        self,
        database: Database,
        row_id: int,
        condition: ColumnElement[bool] | None = None,
        **values: Any,
    ) -> bool:
        """Record the outcome of row `row_id` (its status and other `values`) if `condition`
        holds (`held(token)` for the claim's owner); whether the row was updated."""
        where = self._row(row_id)
        if condition is not None:
            where = and_(where, condition)
        async with database.session() as session:
            result = await session.exec(update(self.table).where(where).values(**values))
        return bool(result.rowcount)
