"""Moderator edits of the knowledge base: add, edit, remove, revert, history, export.

Every change writes a version row and an audit row in one transaction and updates the search
index at once. Nothing is ever lost: removal is soft, every earlier version can be restored,
and an edit based on an outdated version is refused with the newer text.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import AuditRow, EntryRow, EntryVersionRow, utcnow
from bot.errors import UserError, quoted
from bot.knowledge.entry import CATEGORIES, Entry, content_hash
from bot.knowledge.files import MAX_BODY, check_entry, dump_entry
from bot.knowledge.service import KnowledgeService
from bot.knowledge.store import (
    ENTRY_FIELDS,
    add_version,
    apply_entry,
    entry_from_row,
    live_entries,
)
from bot.knowledge.text import normalize

log = logging.getLogger(__name__)

MAX_ALIASES = 15
NAMES_LOCK = 7_190_331  # the PostgreSQL advisory lock of saves that give names
CHANGED_MEANWHILE = (
    "Not done: another moderator changed that entry a moment ago. "
    "See /content history, then try again."
)
SAME_TEXT = {"remove": "removed", "revert": "restored", "retire": "retired (file removed)"}
FIELDS = tuple(name for name in ENTRY_FIELDS if name != "sources")
"""The fields a change can touch (what version history compares)."""


@dataclass(frozen=True)
class Draft:
    """What a moderator typed into the entry modal."""

    title: str
    category: str
    aliases: str
    summary: str
    body: str

    @classmethod
    def of(cls, entry: Entry) -> Draft:
        """The draft that shows an existing entry in the modal."""
        return cls(entry.title, entry.category, ", ".join(entry.aliases), entry.summary, entry.body)


@dataclass(frozen=True)
class SearchTerms:
    """What a moderator typed into the search terms modal."""

    questions: str  # one per line
    misspellings: str  # comma- or line-separated

    @classmethod
    def of(cls, entry: Entry) -> SearchTerms:
        """The terms that show an existing entry in the modal."""
        return cls("\n".join(entry.questions), ", ".join(entry.misspellings))

    def question_list(self) -> tuple[str, ...]:
        """The questions, one per non-empty line, without repeats."""
        return tuple(dict.fromkeys(q.strip() for q in self.questions.splitlines() if q.strip()))

    def name_list(self) -> tuple[str, ...]:
        """The misspellings, without repeats."""
        parts = re.split(r"[,\n]", self.misspellings)
        return tuple(dict.fromkeys(m.strip() for m in parts if m.strip()))


@dataclass(frozen=True)
class Actor:
    """Who made a change."""

    id: int | None
    name: str


class ChangeAction(StrEnum):
    """What a moderator's change did to an entry (the mod-log's verb)."""

    ADDED = "added"
    EDITED = "edited"
    UNCHANGED = "unchanged"  # the edit repeated the live text: no new version
    REMOVED = "removed"
    REVERTED = "reverted"


@dataclass(frozen=True)
class Change:
    """The outcome of a change, for the reply and the mod-log."""

    action: ChangeAction
    entry: Entry
    version: int
    changed: tuple[str, ...]


@dataclass(frozen=True)
class VersionInfo:
    """One line of an entry's history."""

    version: int
    origin: str
    author: str
    created_at: datetime
    changed: tuple[str, ...]


class EditConflict(UserError):
    """The entry changed after the moderator opened it; `current` is the newer state."""

    def __init__(self, current: Entry, version: int) -> None:
        super().__init__(
            f"{current.title} was changed by someone else meanwhile (now version {version})."
        )
        self.current, self.version = current, version


def slugify(title: str) -> str:
    """`"Celery Beat (scheduler)"` -> `celery-beat-scheduler`."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:64].rstrip("-")


def changed_fields(before: dict[str, object] | None, after: dict[str, object]) -> tuple[str, ...]:
    """Which fields differ between two snapshots (all of them for a first version)."""
    if before is None:
        return ("created",)
    changed = tuple(name for name in FIELDS if before.get(name) != after.get(name))
    return changed or ("no text change",)


class ContentService:
    """The moderators' side of the knowledge base. No discord imports."""

    def __init__(self, knowledge: KnowledgeService) -> None:
        self.knowledge = knowledge
        self.database = knowledge.database

    # ---------------------------------------------------------------- validation
    def _entry_from(self, draft: Draft, slug: str, base: Entry | None) -> Entry:
        aliases = tuple(
            dict.fromkeys(a.strip() for a in re.split(r"[,\n]", draft.aliases) if a.strip())
        )
        category = draft.category.strip().lower()
        problems = []
        for name in ("title", "category", "summary", "body"):
            if not getattr(draft, name).strip():
                problems.append(f"{name} is empty")
        if category and category not in CATEGORIES:
            problems.append(f"unknown category {category!r}: use one of {', '.join(CATEGORIES)}")
        if len(aliases) > MAX_ALIASES:
            problems.append(f"at most {MAX_ALIASES} aliases")
        entry = Entry(
            slug=slug,
            title=" ".join(draft.title.split()),
            category=category,
            aliases=aliases,
            tags=base.tags if base else (),
            summary=draft.summary.strip(),
            related=base.related if base else (),
            sources=base.sources if base else (),
            body=draft.body.strip(),
            misspellings=base.misspellings if base else (),
            questions=base.questions if base else (),
        )
        if not problems:
            problems = [p.message for p in check_entry(entry, "")]
        if problems:
            raise UserError("Not saved: " + "; ".join(dict.fromkeys(problems)) + ".")
        return entry

    def _with_terms(self, current: Entry, terms: SearchTerms) -> Entry:
        entry = replace(current, questions=terms.question_list(), misspellings=terms.name_list())
        problems = [p.message for p in check_entry(entry, "")]
        if problems:
            raise UserError("Not saved: " + "; ".join(dict.fromkeys(problems)) + ".")
        return entry

    async def _taken_names(self, session: AsyncSession, entry: Entry) -> list[str]:
        """Why names of `entry` are other entries' (none: free). The saves that give names
        hold one lock from this check to their commit, so two moderators on two replicas
        cannot both take one name: SQLite's write lock, or a PostgreSQL advisory lock. What
        the transaction reads after it is what the last save committed."""
        if self.database.is_sqlite:  # a write that changes nothing takes the write lock now
            nothing = update(EntryRow).where(col(EntryRow.id).is_(None))
            await session.exec(nothing.values(version=EntryRow.version))
        else:
            await session.exec(select(func.pg_advisory_xact_lock(NAMES_LOCK)))
        return self._collisions(entry, await live_entries(session))

    @staticmethod
    def _collisions(entry: Entry, others: list[Entry]) -> list[str]:
        mine = {
            normalize(n): n
            for n in (entry.title, *entry.aliases, *entry.misspellings)
            if normalize(n)
        }
        problems = []
        for other in others:
            if other.slug == entry.slug:
                continue
            for name in (other.slug, other.title, *other.aliases, *other.misspellings):
                if normalize(name) in mine:
                    problems.append(
                        f"{quoted(mine[normalize(name)])} is already a name of "
                        f"'{other.title}' ({other.slug})"
                    )
        return problems

    # ---------------------------------------------------------------- changes
    async def _show_now(self) -> None:
        """Put a saved change in search at once. It is saved whatever happens here: a failed
        rebuild is logged, and the index watcher catches up (`KnowledgeService.catch_up`)."""
        try:
            await self.knowledge.refresh()
        except Exception:
            log.exception("a saved change is not in search yet: the watcher will add it")

    async def _row(self, session: AsyncSession, slug: str) -> EntryRow:
        row = (await session.exec(select(EntryRow).where(EntryRow.slug == slug))).first()
        if row is None:
            raise UserError(f"There is no entry {quoted(slug, 64)}.")
        return row

    def _audit(
        self, session: AsyncSession, actor: Actor, action: str, slug: str, detail: str
    ) -> None:
        session.add(
            AuditRow(
                actor_id=actor.id,
                actor_name=actor.name[:100],
                action=action,
                target=slug[:100],
                detail=detail,
            )
        )

    async def add(self, draft: Draft, actor: Actor) -> Change:
        """Create an entry from a draft (its slug comes from the title)."""
        slug = slugify(draft.title)
        if not slug:
            raise UserError("Not saved: the title needs letters or digits.")
        entry = self._entry_from(draft, slug, None)
        async with self.database.session() as session:
            if taken := await self._taken_names(session, entry):
                raise UserError("Not saved: " + "; ".join(dict.fromkeys(taken)) + ".")
            existing = (await session.exec(select(EntryRow).where(EntryRow.slug == slug))).first()
            if existing is not None:
                hint = (
                    " (it was removed: use /content revert to bring it back)"
                    if existing.deleted
                    else ""
                )
                raise UserError(f"Not saved: an entry `{slug}` already exists{hint}.")
            row = EntryRow(
                slug=slug,
                title=entry.title,
                category=entry.category,
                summary="",
                body="",
                edited_in_discord=True,
            )
            apply_entry(row, entry)
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:  # another moderator added it a moment ago
                raise UserError(f"Not saved: an entry `{slug}` already exists.") from None
            add_version(session, row, "discord", author_id=actor.id, author_name=actor.name)
            self._audit(session, actor, "content.add", slug, entry.title)
        await self._show_now()
        return Change(ChangeAction.ADDED, entry, 1, ("created",))

    async def edit(self, slug: str, draft: Draft, based_on: int, actor: Actor) -> Change:
        """Save a draft over an entry, unless it changed since version `based_on`."""
        return await self._save(
            slug, based_on, actor, lambda current: self._entry_from(draft, slug, current)
        )

    async def edit_search_terms(
        self, slug: str, terms: SearchTerms, based_on: int, actor: Actor
    ) -> Change:
        """Replace an entry's learner questions and misspellings (search only, never shown),
        unless it changed since version `based_on`."""
        return await self._save(
            slug, based_on, actor, lambda current: self._with_terms(current, terms)
        )

    async def add_question(self, slug: str, question: str, actor: Actor) -> Change:
        """Add one learner question to an entry (from the gap inbox): a new version, audited,
        live at once. An edit that lands in between is kept: the question goes on top of it."""
        for _ in range(3):
            current, version = await self.current(slug)
            if question.casefold() in (q.casefold() for q in current.questions):
                return Change(ChangeAction.UNCHANGED, current, version, ())
            terms = SearchTerms.of(current)
            terms = SearchTerms(f"{terms.questions}\n{question}".strip(), terms.misspellings)
            try:
                return await self.edit_search_terms(slug, terms, version, actor)
            except EditConflict:
                continue
        raise UserError("That entry is being edited right now; try again in a moment.")

    async def _save(
        self, slug: str, based_on: int, actor: Actor, make: Callable[[Entry], Entry]
    ) -> Change:
        """Save `make(current entry)` as the next version, unless the entry changed since
        version `based_on` (`EditConflict`, also when another save of that version won the
        race a moment ago: the version number is unique)."""
        try:
            return await self._save_once(slug, based_on, actor, make)
        except IntegrityError:
            current, version = await self.current(slug)
            raise EditConflict(current, version) from None

    async def _save_once(
        self, slug: str, based_on: int, actor: Actor, make: Callable[[Entry], Entry]
    ) -> Change:
        async with self.database.session() as session:
            row = await self._row(session, slug)
            if row.deleted:
                raise UserError("That entry was removed; /content revert brings it back.")
            current = entry_from_row(row)
            if row.version != based_on:
                raise EditConflict(current, row.version)
            entry = make(current)
            changed = changed_fields(current.to_dict(), entry.to_dict())
            if content_hash(entry) == content_hash(current):
                return Change(ChangeAction.UNCHANGED, current, row.version, ())
            if taken := await self._taken_names(session, entry):
                raise UserError("Not saved: " + "; ".join(dict.fromkeys(taken)) + ".")
            await session.refresh(row)  # as it is under the lock
            if row.version != based_on:
                raise EditConflict(entry_from_row(row), row.version)
            apply_entry(row, entry)
            row.version += 1
            row.edited_in_discord = True  # the files no longer say what is live
            row.updated_at = utcnow()
            add_version(session, row, "discord", author_id=actor.id, author_name=actor.name)
            self._audit(session, actor, "content.edit", slug, ", ".join(changed))
            version = row.version
        await self._show_now()
        return Change(ChangeAction.EDITED, entry, version, changed)

    async def remove(self, slug: str, actor: Actor) -> Change:
        """Soft-delete an entry (revertable)."""
        try:
            return await self._remove_once(slug, actor)
        except IntegrityError:  # another change took this version number a moment ago
            raise UserError(CHANGED_MEANWHILE) from None

    async def _remove_once(self, slug: str, actor: Actor) -> Change:
        async with self.database.session() as session:
            row = await self._row(session, slug)
            if row.deleted:
                raise UserError("That entry is already removed.")
            row.deleted = True
            row.version += 1
            row.edited_in_discord = True  # the files no longer say what is live
            row.updated_at = utcnow()
            add_version(session, row, "remove", author_id=actor.id, author_name=actor.name)
            self._audit(session, actor, "content.remove", slug, "removed")
            entry, version = entry_from_row(row), row.version
        await self._show_now()
        return Change(ChangeAction.REMOVED, entry, version, ("removed",))

    async def revert(self, slug: str, version: int, actor: Actor) -> Change:
        """Restore the text of an earlier version as a new version (also undoes a removal),
        unless its names now belong to another entry or it breaks today's rules."""
        try:
            return await self._revert_once(slug, version, actor)
        except IntegrityError:  # another change took this version number a moment ago
            raise UserError(CHANGED_MEANWHILE) from None

    async def _revert_once(self, slug: str, version: int, actor: Actor) -> Change:
        async with self.database.session() as session:
            row = await self._row(session, slug)
            old = (
                await session.exec(
                    select(EntryVersionRow).where(
                        EntryVersionRow.entry_id == row.id, EntryVersionRow.version == version
                    )
                )
            ).first()
            if old is None:
                raise UserError(
                    f"{quoted(slug, 64)} has no version {version}; see /content history."
                )
            before = entry_from_row(row).to_dict()
            restored = Entry(
                **{
                    **old.snapshot,
                    "slug": slug,
                    **{k: tuple(v) for k, v in old.snapshot.items() if isinstance(v, list)},
                }
            )
            problems = [p.message for p in check_entry(restored, "")]
            problems = problems or await self._taken_names(session, restored)
            if problems:
                instead = "Restore another version" if row.deleted else "Edit the entry instead"
                raise UserError(
                    f"Not restored: version {version} cannot come back as it was ("
                    + "; ".join(dict.fromkeys(problems))
                    + f"). {instead}."
                )
            await session.refresh(row)  # as it is under the lock
            apply_entry(row, restored)
            row.deleted = False
            row.version += 1
            row.edited_in_discord = True  # the files no longer say what is live
            row.updated_at = utcnow()
            add_version(session, row, "revert", author_id=actor.id, author_name=actor.name)
            changed = changed_fields(before, restored.to_dict())
            self._audit(session, actor, "content.revert", slug, f"to version {version}")
            new_version = row.version
        await self._show_now()
        return Change(ChangeAction.REVERTED, restored, new_version, changed)

    # ---------------------------------------------------------------- reading
    async def current(self, slug: str) -> tuple[Entry, int]:
        """The live entry and its version (for prefilling the edit modal)."""
        async with self.database.session() as session:
            row = await self._row(session, slug)
        if row.deleted:
            raise UserError("That entry was removed; /content revert brings it back.")
        return entry_from_row(row), row.version

    async def history(self, slug: str) -> tuple[Entry, list[VersionInfo]]:
        """Every version of an entry, newest first, with what changed."""
        async with self.database.session() as session:
            row = await self._row(session, slug)
            versions = (
                await session.exec(
                    select(EntryVersionRow)
                    .where(EntryVersionRow.entry_id == row.id)
                    .order_by(col(EntryVersionRow.version))
                )
            ).all()
        infos, before = [], None
        for version in versions:
            changed = changed_fields(before, version.snapshot)
            if version.snapshot == before:
                changed = (SAME_TEXT.get(version.origin, "no text change"),)
            infos.append(
                VersionInfo(
                    version.version,
                    version.origin,
                    version.author_name or "content files",
                    version.created_at,
                    changed,
                )
            )
            before = version.snapshot
        return entry_from_row(row), infos[::-1]

    async def slugs(self, *, include_removed: bool = False) -> list[str]:
        """Every slug, for autocomplete of revert/history."""
        async with self.database.session() as session:
            query = select(EntryRow.slug)
            if not include_removed:
                query = query.where(EntryRow.deleted == False)  # noqa: E712
            return list((await session.exec(query)).all())

    # ---------------------------------------------------------------- files
    async def export(self, root: Path) -> list[str]:
        """Write every live entry to `root/<category>/<slug>.md`; remove files of removed ones.

        The moderators' marks stay until these files are deployed: importing them changes
        nothing and clears the marks, while a process still starting from the older files
        (before the deploy, another replica) keeps the moderators' text.
        """
        async with self.database.session() as session:
            rows = (await session.exec(select(EntryRow))).all()
            live = {row.slug: entry_from_row(row) for row in rows if not row.deleted}
            removed = [row.slug for row in rows if row.deleted]
            written = await asyncio.to_thread(write_files, root, live, removed)
            session.add(
                AuditRow(
                    action="content.export",
                    target=str(root)[:100],
                    detail=f"{len(written)} file(s) written",
                )
            )
        return written


def write_files(root: Path, live: dict[str, Entry], removed: list[str]) -> list[str]:
    """Make `root` hold exactly the live entries; return the paths written."""
    written = []
    for slug in removed:
        for stale in root.glob(f"*/{slug}.md"):
            stale.unlink()
    for slug, entry in live.items():
        for stale in root.glob(f"*/{slug}.md"):
            if stale.parent.name != entry.category:
                stale.unlink()
        path = root / entry.category / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = dump_entry(entry)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(str(path))
    return written


assert MAX_BODY <= 4000, "the body must fit a modal text input"
