"""Apply Alembic migrations from inside the running event loop.

A database already at the newest revision is left alone without importing Alembic (about
8 MB and a tenth of a second at every start); Alembic is imported only to migrate.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.db.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which migrations/env.py keeps


def alembic_config(url: str) -> Config:
    """An Alembic config built in code (no fileConfig, so discord.* loggers stay enabled)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def newest_revision(versions: Path = MIGRATIONS_DIR / "versions") -> str | None:
    """The head revision, read from the migration files' `revision` and `down_revision`
    assignments without importing Alembic; None unless they name exactly one head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        found: dict[str, ast.expr] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = node.value
        if "revision" not in found or "down_revision" not in found:
            return None
        revision = ast.literal_eval(found["revision"])
        down = ast.literal_eval(found["down_revision"])
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else down or ())
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stored_revisions(connection: Connection) -> set[str]:
    """The revisions Alembic recorded in the database (none when it was never migrated)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return {row[0] for row in connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}


async def upgrade(database: Database, revision: str = "head") -> None:
    """Upgrade the database to `revision` (head by default)."""
    if revision == "head":
        newest = newest_revision()
        async with database.engine.connect() as connection:
            stored = await connection.run_sync(stored_revisions)
        if newest is not None and stored == {newest}:
            return  # already there: what Alembic would find, without importing it
    from alembic import command

    config = alembic_config(database.url)

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with database.engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    async with database.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
