"""Several replicas on one PostgreSQL database, and a briefly locked SQLite database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.app import NexusBot
from bot.config import Settings
from bot.db.models import AuditRow, RoundRow, utcnow
from bot.interaction_claims import InteractionClaims
from bot.sandbox.cast import Cast
from bot.sandbox.session import Sandbox, running_sandbox
from emulator.server import DiscordEmulator
from tests.conftest import settings_on
from tests.helpers import A_SWEEP, Clock, bot_posts, step


@contextlib.asynccontextmanager
async def replicas(
    url: str, count: int
) -> AsyncIterator[tuple[DiscordEmulator, Cast, list[NexusBot]]]:
    """`count` bots (standing in for processes: they share only the database and a clock the
    test moves) on one server."""
    async with running_sandbox(
        settings_on(url), bots=count, guild_ready_timeout=0.05, clock=Clock(utcnow())
    ) as sandbox:
        yield sandbox.emulator, sandbox.cast, sandbox.bots


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_post_each_reminder_once(database_url: str) -> None:
    async with replicas(database_url, 2) as (emulator, cast, bots):
        due = bots[0].jobs.clock() + timedelta(seconds=2)
        await bots[0].reminders.save_milestone("Replica check", due, (0,))
        await bots[1].reminders.schedule_pending()  # both processes now hold the job
        await step(bots, timedelta(seconds=2))  # both run it at the same moment
        assert bot_posts(emulator, cast.announce.id, "Replica check") == 1
        await step(bots, A_SWEEP)  # and both sweep after it
        assert bot_posts(emulator, cast.announce.id, "Replica check") == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_run_a_scheduled_round_once(database_url: str) -> None:
    async with replicas(database_url, 2) as (_emulator, cast, bots):
        await bots[0].pairing.join(cast.learner.id, "ada", "frontend", "Africa/Lagos")
        await bots[0].pairing.join(cast.learner2.id, "linus", "backend", "Africa/Nairobi")
        reports = await asyncio.gather(*(b.pairing.run_round(slot="weekly-test") for b in bots))
        assert sum(report is not None for report in reports) == 1
        async with bots[1].database.session() as session:
            assert len((await session.exec(select(RoundRow))).all()) == 1
        threads = [c for c in cast.world.channels.values() if c.parent_id == cast.announce.id]
        assert len(threads) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_receive_every_interaction_and_act_once(database_url: str) -> None:
    """Discord sends each interaction to both replicas: one answers, one side effect, and no
    "already acknowledged" error anywhere."""
    async with replicas(database_url, 2) as (emulator, cast, bots):
        record = await emulator.slash(
            cast.moderator, "milestone add", name="Replica day", due="2027-03-01T17:00:00Z"
        )
        reply = await record.wait_message()
        assert "Replica day" in reply.content or reply.embeds
        join = await emulator.slash(
            cast.learner, "pair join", role="frontend", timezone="Africa/Lagos"
        )
        assert "You're in the pool" in (await join.wait_message()).content
        answer = await emulator.run(cast.learner, "learn", query="docker")
        assert answer.embeds
        form = await emulator.slash(cast.moderator, "content edit", entry="docker")
        await form.wait_ack()
        assert form.modal is not None
        saved = await (
            await emulator.submit_modal(cast.moderator, form, {"summary": "Edited once."})
        ).wait_message()
        assert "version 2" in saved.content
        await asyncio.sleep(0.5)  # time for a second answer, if any
        for done in (record, join, form):
            assert done.rejected == [], done.rejected
        assert [m.name for m in await bots[1].reminders.all_milestones()] == ["Replica day"]
        async with bots[0].database.session() as session:
            audits = (await session.exec(select(AuditRow))).all()
        assert [a.action for a in audits].count("milestone.save") == 1
        assert not [s for *_, s in emulator.request_log if s == 400]


async def test_briefly_locked_database_loses_and_doubles_nothing(
    sandbox: Sandbox, settings: Settings, clock: Clock
) -> None:
    path = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))
    emulator, announce = sandbox.emulator, sandbox.cast.announce.id
    due = clock.now + timedelta(hours=1, seconds=1)
    await sandbox.bot.reminders.save_milestone("Locked", due, (3600,))  # reminder in 1 s
    locker = sqlite3.connect(path, timeout=1)
    locker.execute("BEGIN EXCLUSIVE")  # another writer holds the database
    try:  # the reminder comes due while the database is locked
        delivering = asyncio.create_task(step(sandbox.bots, timedelta(seconds=1)))
        answer = await emulator.run(sandbox.cast.learner, "learn", query="docker")
        assert answer.embeds  # lookups keep working (the index is in memory)
        deadlines = await emulator.run(sandbox.cast.learner, "deadlines")
        assert "Locked" in deadlines.embeds[0]["description"]  # WAL readers are not blocked
        assert sandbox.bot.jobs.in_progress("reminders:") == 1  # the delivery waits its turn
    finally:
        locker.rollback()
        locker.close()
    await delivering
    assert bot_posts(emulator, announce, "Locked") == 1  # posted once the lock was released
    await step(sandbox.bots, A_SWEEP)
    assert bot_posts(emulator, announce, "Locked") == 1


async def test_pairing_commands_answer_in_time_while_another_writer_holds_the_database(
    sandbox: Sandbox, settings: Settings
) -> None:
    """A long write (a large pairing round) holds SQLite's lock for 4 s: /pair join is still
    acknowledged inside Discord's 3 seconds, and answered once the lock is released."""
    path = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))
    locker = sqlite3.connect(path, timeout=1)
    locker.execute("BEGIN IMMEDIATE")
    try:
        record = await sandbox.emulator.slash(
            sandbox.cast.learner, "pair join", role="frontend", timezone="Africa/Lagos"
        )
        await record.wait_ack()  # raises when not acknowledged within 3 s
        await asyncio.sleep(3)
    finally:
        locker.rollback()
        locker.close()
    reply = await record.wait_message()
    assert "You're in the pool" in reply.content and reply.ephemeral


async def test_moderators_writes_answer_in_time_while_another_writer_holds_the_database(
    sandbox: Sandbox, settings: Settings
) -> None:
    """/content revert and *Remove it* write before they can say what they did: they are
    acknowledged inside Discord's 3 seconds, then told (and the mod-log) once saved."""
    path = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))
    emulator, grace = sandbox.emulator, sandbox.cast.moderator
    prompt = await emulator.run(grace, "content remove", entry="docker")
    locker = sqlite3.connect(path, timeout=1)
    locker.execute("BEGIN IMMEDIATE")
    try:
        removing = await emulator.click(grace, prompt, "Remove it")
        reverting = await emulator.slash(grace, "content revert", entry="celery", version="1")
        await removing.wait_ack()  # each raises when not acknowledged within 3 s
        await reverting.wait_ack()
        await asyncio.sleep(3)
    finally:
        locker.rollback()
        locker.close()
    await emulator.messages.wait_for(lambda _m: "Removed" in prompt.content, timeout=10)
    assert "Restored version 1" in (await reverting.wait_message()).content
    modlog = sandbox.cast.modlog.id
    await emulator.messages.wait_for(
        lambda m: m.channel_id == modlog and "removed" in m.content, timeout=5
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_replica_that_cannot_claim_still_answers(
    database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The database is down at the moment of the claim: the command is handled anyway
    (better a rare second answer than none), and the log says why."""

    async def database_down(_self: InteractionClaims, _interaction_id: int) -> bool:
        raise ConnectionRefusedError("database is down")

    async with replicas(database_url, 1) as (emulator, cast, _bots):
        monkeypatch.setattr(InteractionClaims, "claim", database_down)
        answer = await emulator.run(cast.learner, "learn", query="docker")
        assert answer.embeds
    assert "could not claim interaction" in caplog.text


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_replicas_answer_while_the_claim_table_is_locked(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A migration, a REINDEX or a failover holds the claims for seconds: the replicas stop
    waiting for their claim in time to answer (one answer is taken, a second one refused)."""
    caplog.set_level(logging.INFO, logger="cogs.errors")
    async with replicas(database_url, 2) as (emulator, cast, _bots):
        url = make_url(database_url).set(drivername="postgresql")
        locker = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            async with locker.transaction():
                await locker.execute("LOCK TABLE interaction_claim IN ACCESS EXCLUSIVE MODE")
                record = await emulator.slash(cast.learner, "learn", query="docker")
                await record.wait_ack()  # raises when nobody answered within 3 s
                await asyncio.sleep(0.5)
        finally:
            await locker.close()
        assert (await record.wait_message()).embeds
    assert "took too long; handling it anyway" in caplog.text
    assert "answered by another replica" in caplog.text  # not an error with an id
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_slow_claim_counts_against_a_forms_time(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim took most of a second and the form's prefill never comes: the moderator is
    still told to try again inside Discord's 3 seconds from the click."""
    claim = InteractionClaims.claim

    async def slow_claim(self: InteractionClaims, interaction_id: int) -> bool:
        await asyncio.sleep(0.75)
        return await claim(self, interaction_id)

    async def stuck(*_args: object) -> None:
        await asyncio.sleep(30)

    async with replicas(database_url, 1) as (emulator, cast, bots):
        await emulator.run(cast.learner, "learn", query="docker")  # a quick delivery first
        monkeypatch.setattr(InteractionClaims, "claim", slow_claim)
        monkeypatch.setattr(bots[0].content, "current", stuck)
        record = await emulator.slash(cast.moderator, "content edit", entry="docker")
        told = await record.wait_message()  # raises when not acknowledged within 3 s
        assert "database is slow" in told.content and told.ephemeral
