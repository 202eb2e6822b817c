"""The knowledge service: what cogs, the CLI and the sandbox call. No discord imports."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.knowledge.entry import Entry
from bot.knowledge.search import Hit, SearchIndex, SearchResult
from bot.knowledge.store import ImportReport, import_directory, live_entries


class KnowledgeService:
    """Owns the search index built from the database's live entries."""

    def __init__(self, database: Database, content_dir: Path) -> None:
        self.database = database
        self.content_dir = Path(content_dir)
        self.index = SearchIndex(())
        self._lock = asyncio.Lock()

    async def start(self) -> ImportReport:
        """Import `content/` and build the index (called once at start-up)."""
        return await self.reload()

    async def reload(self) -> ImportReport:
        """Re-import `content/` and rebuild the index from the database."""
        async with self._lock:
            try:
                async with self.database.session() as session:
                    report = await import_directory(session, self.content_dir)
            except IntegrityError:
                # Another replica imported the same files at the same moment: its rows are
                # in now, so a second pass finds them unchanged.
                async with self.database.session() as session:
                    report = await import_directory(session, self.content_dir)
            await self.refresh_index()
            return report

    async def refresh_index(self) -> None:
        """Rebuild the in-memory index from the database."""
        async with self.database.session() as session:
            entries = await live_entries(session)
        self.index = SearchIndex(entries)

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """Confident hits (and suggestions) for a free-text query."""
        return self.index.search(query, limit=limit)

    def autocomplete(self, text: str, limit: int = 25) -> tuple[Hit, ...]:
        """Choices for a partially typed query."""
        return self.index.autocomplete(text, limit=limit)

    def get(self, slug: str) -> Entry | None:
        """The live entry with `slug`, if any."""
        return self.index.get(slug)

    def browse(self, category: str | None = None) -> list[Entry]:
        """Live entries (of one category), sorted by title."""
        return list(self.index.entries(category))
