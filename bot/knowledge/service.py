"""The knowledge service: what cogs, the CLI and the sandbox call. No discord imports."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.knowledge.entry import Entry
from bot.knowledge.search import Hit, SearchIndex, SearchResult
from bot.knowledge.store import ImportReport, import_directory, live_entries
from bot.knowledge.vocabulary import Vocabulary, load_vocabulary

log = logging.getLogger(__name__)


class KnowledgeService:
    """Owns the search index built from the database's live entries.

    The index is immutable: every change builds a new one in a worker thread and swaps it in,
    so queries never see a half-built index and the event loop keeps answering meanwhile.
    """

    def __init__(self, database: Database, content_dir: Path) -> None:
        self.database = database
        self.content_dir = Path(content_dir)
        self.vocabulary = Vocabulary()
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
        """Rebuild the in-memory index from the database (and the vocabulary from its file)."""
        vocabulary, problems = load_vocabulary(self.content_dir)
        for problem in problems:
            log.warning("content/vocabulary.yaml is not used: %s", problem)
        self.vocabulary = vocabulary
        async with self.database.session() as session:
            entries = await live_entries(session)
        await self._rebuild(entries)

    async def put(self, entry: Entry) -> None:
        """Make `entry` (new or changed) searchable now."""
        async with self._lock:
            others = [e for e in self.index.entries() if e.slug != entry.slug]
            await self._rebuild([*others, entry])

    async def drop(self, slug: str) -> None:
        """Stop finding the entry `slug`."""
        async with self._lock:
            await self._rebuild([e for e in self.index.entries() if e.slug != slug])

    async def _rebuild(self, entries: list[Entry]) -> None:
        self.index = await asyncio.to_thread(SearchIndex, entries, self.vocabulary)

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
