"""Shared fixtures: settings on a temporary database, and the bot running in the emulator."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.app import EXTENSIONS
from bot.config import Settings
from bot.db import Database
from bot.db.migrate import upgrade
from bot.db.models import utcnow
from bot.knowledge.service import KnowledgeService
from bot.sandbox.session import Sandbox, running_sandbox
from tests.helpers import Clock

ROOT = Path(__file__).resolve().parents[1]
CONTENT_DIR = ROOT / "content"


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: SQLite always, PostgreSQL when NEXUS_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/test.db"
        return
    admin_url = os.environ.get("NEXUS_TEST_DATABASE_URL")
    if not admin_url:
        pytest.skip(
            "PostgreSQL: set NEXUS_TEST_DATABASE_URL (.ci/run does when a server "
            "answers on 127.0.0.1:5432)"
        )
    admin = make_url(admin_url)
    name = f"nexus_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(
        admin.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield admin.set(database=name).render_as_string(hide_password=False)
        await connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database on each backend."""
    db = Database(database_url)
    await upgrade(db)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def imported_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated and with `content/` imported once per test session."""
    path = tmp_path_factory.mktemp("template") / "nexus.db"

    async def build() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(database)
            await KnowledgeService(database, CONTENT_DIR).start()
        finally:
            await database.dispose()

    asyncio.run(build())
    return path


def settings_on(database_url: str) -> Settings:
    """Settings that never read `.env`, on the database at `database_url`."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=database_url,
        NEXUS_CONTENT_DIR=str(CONTENT_DIR),
    )


@pytest.fixture
def settings(tmp_path: Path, imported_database: Path) -> Settings:
    """Settings on a fresh copy of the imported database."""
    shutil.copy(imported_database, tmp_path / "nexus.db")
    return settings_on(f"sqlite+aiosqlite:///{tmp_path}/nexus.db")


@pytest.fixture
def clock() -> Clock:
    """The sandbox bots' clock: it stands still at the test's start until the test moves it
    (`tests.helpers.step`), so background work falls due when the test says, not by sleeping."""
    return Clock(utcnow())


@pytest.fixture
async def sandbox(settings: Settings, clock: Clock) -> AsyncIterator[Sandbox]:
    """The real bot logged in to a fresh emulator (the path `run` uses), plus a test cog; its
    background work runs on `clock`."""
    async with running_sandbox(
        settings,
        guild_ready_timeout=0.05,
        extensions=(*EXTENSIONS, "tests.e2e.failing_cog"),
        clock=clock,
    ) as running:
        yield running
