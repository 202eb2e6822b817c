"""Online backup of the SQLite database (safe while the bot runs)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_path(url: str) -> Path:
    """The file behind a SQLite URL; ValueError for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise ValueError("db backup works with SQLite; for PostgreSQL use pg_dump")
    return Path(parsed.database)


def backup(url: str, target: Path) -> int:
    """Copy the live database to `target` with SQLite's online backup API; returns its size."""
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise FileNotFoundError(f"no database at {source_path}")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(source_path)
    destination = sqlite3.connect(target)
    try:
        with destination:
            source.backup(destination)
        destination.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        destination.close()
        source.close()
    return target.stat().st_size
