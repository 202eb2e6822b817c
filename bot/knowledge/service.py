"""The knowledge service: what cogs, the CLI and the sandbox call. No discord imports."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.db import Database
from bot.db.models import EntryRow
from bot.jobs import Jobs
from bot.knowledge.entry import Entry
from bot.knowledge.off_topic import load_off_topic
from bot.knowledge.search import Hit, SearchIndex, SearchResult
from bot.knowledge.semantic import Embedder, FusedSearch, SemanticIndex, load_embedder
from bot.knowledge.store import ImportReport, import_directory, live_entries
from bot.knowledge.vocabulary import Vocabulary, load_vocabulary

log = logging.getLogger(__name__)

WATCH_SECONDS = 3.0
WATCH_JOB = "knowledge:watch"
"""How often a bot checks whether another process changed the entries."""


class KnowledgeService:
    """Owns the search index built from the database's live entries.

    The index is immutable: every change builds a new one in a worker thread and swaps it in,
    so queries never see a half-built index and the event loop keeps answering meanwhile.
    With `semantic_model` (`NEXUS_SEMANTIC_MODEL`), searches fuse sentence embeddings with the
    lexical score (`semantic.py`); without it, or when the model fails, search is lexical. The
    model loads and embeds the entries in the background after start-up (tens of seconds on a
    CPU): the bot answers lexically until `semantic_ready()`.
    """

    def __init__(
        self,
        database: Database,
        content_dir: Path,
        jobs: Jobs | None = None,
        *,
        semantic_model: str | None = None,
    ) -> None:
        self.database = database
        self.jobs = jobs or Jobs()  # the bot's runtime for background work
        self.content_dir = Path(content_dir)
        self.vocabulary = Vocabulary()
        self.index = SearchIndex(())
        self.semantic_model = semantic_model
        self._embedder: Embedder | None = None
        self._semantic: SemanticIndex | None = None
        self._ranker: SearchIndex | FusedSearch = self.index
        self._semantic_start: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._built_from: tuple[int, int] | None = None  # the database state the index shows

    async def start(self, *, watch: bool = False) -> ImportReport:
        """Import `content/` and build the index (called once at start-up); with `watch`,
        keep the index current with changes other processes (replicas) make. A configured
        semantic model starts in the background."""
        report = await self.reload()
        if self.semantic_model and self._semantic_start is None:
            self._semantic_start = asyncio.create_task(self._start_semantic())
        if watch:
            self.jobs.start()
            self.jobs.every(WATCH_JOB, WATCH_SECONDS, self.catch_up)
        return report

    async def stop(self) -> None:
        """Stop what `start` began: watching the database, a semantic start still under way."""
        if self._semantic_start is not None:
            self._semantic_start.cancel()
            await asyncio.gather(self._semantic_start, return_exceptions=True)
            self._semantic_start = None
        await self.jobs.stop_group(WATCH_JOB, WATCH_SECONDS)

    async def _start_semantic(self) -> None:
        """Load the model and embed the entries; lexical search answers meanwhile."""
        embedder = await asyncio.to_thread(load_embedder, self.semantic_model)
        if embedder is None:
            return
        try:
            async with self._lock:
                self._embedder = embedder
                await self.refresh_index()
        except Exception:  # the database, say: the watcher's next look rebuilds
            self._built_from = None
            log.warning("semantic index not built yet; /learn searches lexically", exc_info=True)
            return
        log.info("semantic index ready: %d entries", len(self.index))

    async def semantic_ready(self) -> bool:
        """Wait for the semantic start to finish; whether search now uses the model."""
        if self._semantic_start is not None:
            await asyncio.shield(self._semantic_start)
        return isinstance(self._ranker, FusedSearch)

    async def catch_up(self) -> None:
        """Rebuild the index when the entries in the database changed (another replica's edit
        shows here within `WATCH_SECONDS`; after a database hiccup, at the next look)."""
        if await self._fingerprint() != self._built_from:
            async with self._lock:
                await self.refresh_index()

    async def _fingerprint(self) -> tuple[int, int]:
        """Changes with every added, edited, removed or reverted entry (versions only grow)."""
        async with self.database.session() as session:
            count, versions = (
                await session.exec(
                    select(func.count(), func.coalesce(func.sum(EntryRow.version), 0))
                )
            ).one()
        return int(count), int(versions)

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
        """Rebuild the in-memory index from the database (and the vocabulary and the off-topic
        examples from their files)."""
        vocabulary, problems = await asyncio.to_thread(load_vocabulary, self.content_dir)
        for problem in problems:
            log.warning("content/vocabulary.yaml is not used: %s", problem)
        self.vocabulary = vocabulary
        built_from = await self._fingerprint()  # read first: a later change rebuilds again
        async with self.database.session() as session:
            entries = await live_entries(session)
        index = await asyncio.to_thread(SearchIndex, entries, self.vocabulary)
        ranker: SearchIndex | FusedSearch = index
        if self._embedder is not None:
            try:
                off_topic, problems = await asyncio.to_thread(load_off_topic, self.content_dir)
                for problem in problems:
                    log.warning("content/off_topic.yaml is not used: %s", problem)
                self._semantic = await asyncio.to_thread(
                    SemanticIndex, self._embedder, entries, self._semantic, off_topic
                )
                ranker = FusedSearch(index, self._semantic)
            except Exception:
                log.warning("semantic index not built; /learn searches lexically", exc_info=True)
        self.index, self._ranker = index, ranker  # swapped together, once both are built
        self._built_from = built_from

    async def refresh(self) -> None:
        """Show a change just saved to the database now (once: the watcher then sees the
        index is current and does not rebuild it again)."""
        async with self._lock:
            await self.refresh_index()

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """Confident hits (and suggestions) for a free-text query."""
        return self._ranker.search(query, limit=limit)

    def autocomplete(self, text: str, limit: int = 25) -> tuple[Hit, ...]:
        """Choices for a partially typed query."""
        return self._ranker.autocomplete(text, limit=limit)

    async def search_async(self, query: str, limit: int = 5) -> SearchResult:
        """`search` for the event loop: with the semantic signal (tens of milliseconds of model
        time per new query), in a worker thread."""
        if isinstance(self._ranker, FusedSearch):
            return await asyncio.to_thread(self._ranker.search, query, limit)
        return self._ranker.search(query, limit=limit)

    async def autocomplete_async(self, text: str, limit: int = 25) -> tuple[Hit, ...]:
        """`autocomplete` for the event loop (see `search_async`)."""
        if isinstance(self._ranker, FusedSearch):
            return await asyncio.to_thread(self._ranker.autocomplete, text, limit)
        return self._ranker.autocomplete(text, limit=limit)

    def get(self, slug: str) -> Entry | None:
        """The live entry with `slug`, if any."""
        return self.index.get(slug)

    def browse(self, category: str | None = None) -> list[Entry]:
        """Live entries (of one category), sorted by title."""
        return list(self.index.entries(category))
