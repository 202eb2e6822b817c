"""Nonces for messages that must be posted once (sent with `enforce_nonce`).

Discord keeps an author's nonce for a few minutes in every channel: a repeat returns the
earlier message and posts nothing, wherever it was sent. So a nonce names one post to one
target: this deployment (a random key kept in the database, so a second deployment of the bot
or a fresh database never reuses a nonce), the kind of post, its row, the channel or member it
goes to, and, where one row may post different texts, its text (never a text that can change
between tries of one post). At most 25 characters.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import select

from bot.db import Database
from bot.db.models import DeploymentRow


async def deployment_key(database: Database) -> str:
    """This deployment's key: made once by whichever process asks first, then shared."""
    async with database.session() as session:
        await session.exec(
            database.insert(DeploymentRow)
            .values(id=1, key=secrets.token_hex(8))
            .on_conflict_do_nothing()
        )
    async with database.session() as session:
        return (await session.exec(select(DeploymentRow.key))).one()


def post_nonce(deployment: str, kind: str, row_id: int, target_id: int, text: str = "") -> str:
    """The nonce of this `deployment`'s post `kind` of row `row_id` to channel or member
    `target_id` saying `text`."""
    key = f"{deployment}:{kind}:{row_id}:{target_id}:{text}".encode()
    return "nx" + hashlib.blake2b(key, digest_size=10).hexdigest()


class Nonces:
    """Post nonces of one database's deployment (its key read once, on first use)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._deployment: str | None = None

    async def __call__(self, kind: str, row_id: int, target_id: int, text: str = "") -> str:
        """`post_nonce` for this deployment."""
        if self._deployment is None:
            self._deployment = await deployment_key(self.database)
        return post_nonce(self._deployment, kind, row_id, target_id, text)
