"""Shared fixtures: settings on a temporary database, and the bot running in the emulator."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import EXTENSIONS
from bot.config import Settings
from bot.db import Database
from bot.db.migrate import upgrade
from bot.knowledge.service import KnowledgeService
from bot.sandbox.session import Sandbox, running_sandbox

ROOT = Path(__file__).resolve().parents[1]
CONTENT_DIR = ROOT / "content"


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


@pytest.fixture
def settings(tmp_path: Path, imported_database: Path) -> Settings:
    """Settings that never read `.env`, on a fresh copy of the imported database."""
    shutil.copy(imported_database, tmp_path / "nexus.db")
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/nexus.db",
        NEXUS_CONTENT_DIR=str(CONTENT_DIR),
    )


@pytest.fixture
async def sandbox(settings: Settings) -> AsyncIterator[Sandbox]:
    """The real bot logged in to a fresh emulator (the path `run` uses), plus a test cog."""
    async with running_sandbox(
        settings, guild_ready_timeout=0.05, extensions=(*EXTENSIONS, "tests.e2e.failing_cog")
    ) as running:
        yield running
