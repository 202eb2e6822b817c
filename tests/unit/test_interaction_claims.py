"""Interaction claims: one process wins each interaction; old claims are cleaned up aside."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select, update

from bot.db import Database
from bot.db.models import InteractionClaimRow, utcnow
from bot.interaction_claims import KEEP, InteractionClaims


async def test_one_claim_wins_each_interaction(database: Database) -> None:
    first, second = InteractionClaims(database), InteractionClaims(database)
    assert sorted(await asyncio.gather(first.claim(1), second.claim(1))) == [False, True]
    assert await second.claim(2) and not await first.claim(2)


async def test_old_claims_are_deleted_in_the_background(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.interaction_claims.CLEAN_EVERY", 2)
    claims = InteractionClaims(database)
    await claims.claim(1)
    async with database.session() as session:
        old = utcnow() - KEEP - timedelta(minutes=1)
        await session.exec(update(InteractionClaimRow).values(created_at=old))  # type: ignore[call-overload]
    await claims.claim(2)  # the second claim starts the cleanup, and does not wait for it
    assert claims._cleaning is not None
    await claims._cleaning
    async with database.session() as session:
        assert [row.id for row in (await session.exec(select(InteractionClaimRow))).all()] == [2]
