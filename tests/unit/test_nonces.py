"""Nonces name one post of one deployment to one target, within Discord's 25 characters."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.db import Database
from bot.db.migrate import upgrade
from bot.nonces import Nonces, deployment_key, post_nonce

USER = 1_234_567_890_123_456_789


def test_nonce_is_short_stable_and_distinct_per_kind_row_and_target() -> None:
    nonce = post_nonce("d1", "reminder", 7, USER)
    assert len(nonce) <= 25 and nonce == post_nonce("d1", "reminder", 7, USER)
    others = {
        post_nonce("d1", "reminder-dm", 7, USER),
        post_nonce("d1", "reminder", 8, USER),
        post_nonce("d1", "reminder", 7, USER - 1),
        post_nonce("d2", "reminder", 7, USER),
    }
    assert nonce not in others and len(others) == 4


def test_a_reused_row_id_with_other_text_is_another_post() -> None:
    """A restored or fresh database numbers its rows again: same id, other reminder."""
    assert post_nonce("d1", "reminder", 1, 42, "Demo day is due") != post_nonce(
        "d1", "reminder", 1, 42, "Submission is due"
    )


async def test_replicas_of_one_database_share_its_deployment_key(database: Database) -> None:
    """Two processes starting at once on one database make one key, and both use it."""
    keys = await asyncio.gather(*(deployment_key(database) for _ in range(5)))
    assert len(set(keys)) == 1 and len(keys[0]) == 16
    first, second = Nonces(database), Nonces(database)
    assert await first("reminder", 1, 42) == await second("reminder", 1, 42)
    assert await first("reminder", 1, 42) == post_nonce(keys[0], "reminder", 1, 42)


async def test_another_deployment_never_reuses_a_nonce(tmp_path: Path) -> None:
    """A second deployment of the bot (another database) posting row 1 to the same channel
    must not be mistaken by Discord for the first one's post."""
    nonces = []
    for name in ("one", "two"):
        other = Database(f"sqlite+aiosqlite:///{tmp_path}/{name}.db")
        try:
            await upgrade(other)
            nonces.append(await Nonces(other)("reminder", 1, 42, "Demo day is due"))
        finally:
            await other.dispose()
    assert nonces[0] != nonces[1]
