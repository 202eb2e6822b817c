"""The whole bot on PostgreSQL: real snowflake ids, JSON columns, every feature once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.sandbox.session import running_sandbox
from tests.conftest import settings_on
from tests.helpers import Clock, step


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_every_feature_works_on_postgresql(database_url: str, clock: Clock) -> None:
    async with running_sandbox(
        settings_on(database_url), guild_ready_timeout=0.05, clock=clock
    ) as sandbox:
        emulator, cast = sandbox.emulator, sandbox.cast
        answer = await emulator.run(cast.learner, "learn", query="kubernates")
        assert answer.embeds[0]["title"] == sandbox.bot.knowledge.get("kubernetes").title

        opened = await emulator.slash(cast.moderator, "content edit", entry="docker")
        await opened.wait_ack()
        saved = await (
            await emulator.submit_modal(
                cast.moderator, opened, {"summary": "Edited on PostgreSQL."}
            )
        ).wait_message()
        assert "version 2" in saved.content

        await emulator.run(
            cast.moderator,
            "milestone add",
            name="PG demo",
            offsets="0m",
            due=(clock.now + timedelta(seconds=1)).isoformat(),
        )
        await step(sandbox.bots, timedelta(seconds=1))
        await emulator.wait_for_message(
            lambda m: m.interaction_id is None and "PG demo" in m.content, timeout=0
        )

        await emulator.run(cast.learner, "pair join", role="frontend", timezone="Africa/Lagos")
        await emulator.run(cast.learner2, "pair join", role="backend", timezone="Africa/Accra")
        await emulator.run(cast.learner2, "pair avoid", member="grace")
        summary = await emulator.run(cast.moderator, "pairing run")
        assert "1 groups" in summary.embeds[0]["footer"]["text"]
        status = await emulator.run(cast.learner, "pair status")
        assert f"<@{cast.learner2.id}>" in status.content  # 64-bit snowflakes round-trip
