"""Entries in the database: import from `content/` files, idempotently, keeping moderator edits."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import AuditRow, EntryRow, EntryVersionRow, utcnow
from bot.knowledge.entry import FIELD_ORDER, Entry, content_hash, fields_hash
from bot.knowledge.files import Problem, load_directory

log = logging.getLogger(__name__)

ENTRY_FIELDS = (*(name for name in FIELD_ORDER if name != "slug"), "body")
"""The fields a row stores besides its slug."""


@dataclass
class ImportReport:
    """What an import did; `conflicts` name entries whose file changed under a moderator edit."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # invalid files: the database keeps its own

    def summary(self) -> str:
        """One line for logs and replies."""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.retired)} retired, "
            f"{self.unchanged} unchanged, {len(self.conflicts)} in conflict, "
            f"{len(self.refused)} refused, {len(self.problems)} invalid file problem(s)"
        )


def entry_from_row(row: EntryRow) -> Entry:
    """The plain entry a row holds."""
    return Entry(
        slug=row.slug,
        title=row.title,
        category=row.category,
        aliases=tuple(row.aliases),
        misspellings=tuple(row.misspellings),
        questions=tuple(row.questions),
        tags=tuple(row.tags),
        summary=row.summary,
        related=tuple(row.related),
        sources=tuple(row.sources),
        body=row.body,
    )


def apply_entry(row: EntryRow, entry: Entry) -> None:
    """Copy an entry's fields onto a row."""
    for name in ENTRY_FIELDS:
        value = getattr(entry, name)
        setattr(row, name, list(value) if isinstance(value, tuple) else value)


def add_version(
    session: AsyncSession,
    row: EntryRow,
    origin: str,
    *,
    author_id: int | None = None,
    author_name: str | None = None,
) -> None:
    """Record the row's current state as a new version (the row must have an id)."""
    assert row.id is not None
    session.add(
        EntryVersionRow(
            entry_id=row.id,
            version=row.version,
            snapshot=entry_from_row(row).to_dict(),
            origin=origin,
            author_id=author_id,
            author_name=author_name,
        )
    )


async def import_directory(session: AsyncSession, root: Path) -> ImportReport:
    """Bring the database in line with the files under `root`, in the caller's transaction.

    New files add entries, changed files update them, removed files retire them. A file that
    changed while a moderator's edit is live is reported as a conflict and the edit is kept. A
    file with problems is refused: its entry stays as the database has it (or absent).
    """
    entries, problems = load_directory(root)
    report = ImportReport(problems=list(problems))
    for problem in problems:
        log.warning("content problem: %s", problem)
    rows = {row.slug: row for row in (await session.exec(select(EntryRow))).all()}
    slugs = Counter(entry.slug for entry in entries)
    seen: set[str] = set()
    flagged = {Path(problem.path) for problem in problems}
    for entry in entries:
        if slugs[entry.slug] > 1:
            continue  # ambiguous: reported as a problem, the database keeps what it had
        seen.add(entry.slug)
        file = Path(root) / entry.category / f"{entry.slug}.md"
        if file in flagged or not file.is_file():  # what validation refuses is not imported
            report.refused.append(entry.slug)
            continue
        digest = content_hash(entry)
        row = rows.get(entry.slug)
        if row is None:
            row = EntryRow(
                slug=entry.slug,
                title=entry.title,
                category=entry.category,
                file_hash=digest,
                summary="",
                body="",
            )
            apply_entry(row, entry)
            session.add(row)
            await session.flush()
            add_version(session, row, "file")
            report.added.append(entry.slug)
        elif (
            row.edited_in_discord
            and not row.deleted
            and content_hash(entry_from_row(row)) == digest
        ):
            # The file now says what the moderator wrote (an export, or an edit undone).
            row.file_hash, row.edited_in_discord, row.conflict_file_hash = digest, False, None
            report.unchanged += 1
        elif row.file_hash == digest:
            report.unchanged += 1
        elif await _older_text(session, row, digest):
            # An older deploy's file (a replica restarting mid-rollout): the newer text stays.
            log.info("content file of %s holds an earlier version's text: kept the newer", row.slug)
            report.unchanged += 1
        elif row.edited_in_discord:
            row.conflict_file_hash = digest
            report.conflicts.append(entry.slug)
        else:
            apply_entry(row, entry)
            row.file_hash, row.deleted = digest, False
            row.version += 1
            row.updated_at = utcnow()
            add_version(session, row, "file")
            report.updated.append(entry.slug)
    # A file that failed to parse must not retire its entry: retire only on a clean tree.
    for slug, row in rows.items() if not problems else ():
        if slug not in seen and row.deleted and row.edited_in_discord:
            # Removed by a moderator, and its file is gone too (an export): the files agree.
            row.file_hash, row.edited_in_discord, row.conflict_file_hash = None, False, None
            continue
        if slug in seen or row.file_hash is None or row.deleted or row.edited_in_discord:
            continue
        row.deleted = True
        row.version += 1
        row.updated_at = utcnow()
        add_version(session, row, "retire")
        report.retired.append(slug)
    changed = report.added + report.updated + report.retired
    if changed:
        session.add(AuditRow(action="import", target=str(root)[:100], detail=report.summary()))
    for slug in report.conflicts:
        log.warning(
            "content conflict: %s changed on disk while a moderator edit is live; the edit is kept",
            slug,
        )
    return report


async def _older_text(session: AsyncSession, row: EntryRow, digest: str) -> bool:
    """Whether `digest` is the text of one of the entry's earlier versions."""
    snapshots = await session.exec(
        select(EntryVersionRow.snapshot).where(
            EntryVersionRow.entry_id == row.id, EntryVersionRow.version < row.version
        )
    )
    return any(fields_hash(dict(snapshot)) == digest for snapshot in snapshots)


async def live_entries(session: AsyncSession) -> list[Entry]:
    """Every entry that is not deleted."""
    rows = (await session.exec(select(EntryRow).where(EntryRow.deleted == False))).all()  # noqa: E712
    return [entry_from_row(row) for row in rows]
