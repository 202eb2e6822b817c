"""Importing content files into the database: idempotent, careful with moderator edits."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from sqlmodel import select

from bot.db import Database
from bot.db.models import AuditRow, EntryRow, EntryVersionRow
from bot.knowledge.service import KnowledgeService
from bot.knowledge.store import import_directory, live_entries
from tests.helpers import DOCKER, make_entry, write_entry

REDIS = make_entry(
    "redis",
    "Redis",
    "technology",
    aliases=("cache",),
    tags=("caching",),
    summary="An in-memory store used for caching.",
    sources=("seed-001",),
    body="Body about Redis.",
)


async def run_import(database: Database, root: Path):  # type: ignore[no-untyped-def]
    async with database.session() as session:
        return await import_directory(session, root)


async def test_first_import_adds_and_second_changes_nothing(
    database: Database, tmp_path: Path
) -> None:
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    write_entry(root, REDIS)
    first = await run_import(database, root)
    second = await run_import(database, root)
    assert sorted(first.added) == ["docker", "redis"]
    assert second.added == second.updated == second.retired == [] and second.unchanged == 2
    async with database.session() as session:
        versions = (await session.exec(select(EntryVersionRow))).all()
        audits = (await session.exec(select(AuditRow))).all()
    assert len(versions) == 2 and len(audits) == 1


async def test_changed_file_updates_with_a_new_version(database: Database, tmp_path: Path) -> None:
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    await run_import(database, root)
    write_entry(root, replace(DOCKER, summary="Changed summary."))
    report = await run_import(database, root)
    assert report.updated == ["docker"]
    async with database.session() as session:
        row = (await session.exec(select(EntryRow))).one()
        assert row.version == 2 and row.summary == "Changed summary."


async def test_removed_file_retires_and_returning_file_restores(
    database: Database, tmp_path: Path
) -> None:
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    write_entry(root, REDIS)
    await run_import(database, root)
    (root / "technology" / "redis.md").unlink()
    assert (await run_import(database, root)).retired == ["redis"]
    async with database.session() as session:
        assert [e.slug for e in await live_entries(session)] == ["docker"]
    write_entry(root, replace(REDIS, body="Back again."))
    assert (await run_import(database, root)).updated == ["redis"]


async def test_moderator_edit_is_kept_and_conflict_reported(
    database: Database, tmp_path: Path
) -> None:
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    await run_import(database, root)
    async with database.session() as session:
        row = (await session.exec(select(EntryRow))).one()
        row.summary, row.edited_in_discord = "Edited by a moderator.", True
    write_entry(root, replace(DOCKER, summary="Changed on disk."))
    report = await run_import(database, root)
    assert report.conflicts == ["docker"] and report.updated == []
    async with database.session() as session:
        row = (await session.exec(select(EntryRow))).one()
        assert row.summary == "Edited by a moderator." and row.conflict_file_hash
    # Once the file says what the moderator wrote (an export), the conflict is resolved.
    write_entry(root, replace(DOCKER, summary="Edited by a moderator."))
    report = await run_import(database, root)
    assert report.conflicts == [] and report.unchanged == 1
    async with database.session() as session:
        row = (await session.exec(select(EntryRow))).one()
        assert not row.edited_in_discord and row.conflict_file_hash is None


async def test_broken_file_does_not_retire_its_entry(database: Database, tmp_path: Path) -> None:
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    await run_import(database, root)
    (root / "technology" / "docker.md").write_text("---\nnot: [valid\n---\n", encoding="utf-8")
    report = await run_import(database, root)
    assert report.problems and report.retired == []
    async with database.session() as session:
        assert [e.slug for e in await live_entries(session)] == ["docker"]


async def test_service_search_reflects_the_database(database: Database, tmp_path: Path) -> None:
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    service = KnowledgeService(database, root)
    await service.start()
    assert service.search("dokcer").hits[0].slug == "docker"
    write_entry(root, REDIS)
    report = await service.reload()
    assert report.added == ["redis"] and service.get("redis") is not None


async def test_a_saved_change_is_live_at_once_and_built_once(
    database: Database, tmp_path: Path
) -> None:
    """After a moderator's save, `refresh` shows it; the watcher then finds the index
    current and does not build it a second time."""
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    service = KnowledgeService(database, root)
    await service.start()
    write_entry(root, REDIS)
    async with database.session() as session:
        await import_directory(session, root)
    assert service.get("redis") is None
    await service.refresh()
    assert service.get("redis") is not None and service.search("redis").hits[0].slug == "redis"
    index = service.index
    await service.catch_up()  # what the watcher does every few seconds
    assert service.index is index


async def test_vocabulary_from_the_content_folder(database: Database, tmp_path: Path) -> None:
    root = tmp_path / "content"
    write_entry(root, REDIS)
    (root / "vocabulary.yaml").write_text("groups:\n- [stale data, cache]\n", encoding="utf-8")
    service = KnowledgeService(database, root)
    await service.start()
    assert len(service.vocabulary) == 1
    (root / "vocabulary.yaml").write_text("groups:\n- [only one member]\n", encoding="utf-8")
    await service.reload()
    assert len(service.vocabulary) == 0  # a broken vocabulary is left out, not fatal


async def test_replicas_importing_at_once_both_start(database: Database, tmp_path: Path) -> None:
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    write_entry(root, REDIS)
    first, second = KnowledgeService(database, root), KnowledgeService(database, root)
    await asyncio.gather(first.start(), second.start())
    assert first.get("docker") == second.get("docker") == DOCKER


async def test_an_invalid_file_is_refused_and_the_database_keeps_its_entry(
    database: Database, tmp_path: Path
) -> None:
    """What `content validate` refuses is not imported: a new invalid entry stays out, and an
    existing one keeps the version the database has."""
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    async with database.session() as session:
        await import_directory(session, root)
    write_entry(root, replace(DOCKER, summary="x" * 2000))  # far over the summary limit
    write_entry(root, replace(DOCKER, slug="podman", title="Podman", summary="y" * 2000))
    async with database.session() as session:
        report = await import_directory(session, root)
    assert sorted(report.refused) == ["docker", "podman"] and report.problems
    assert report.added == [] and report.updated == []
    async with database.session() as session:
        live = {e.slug: e for e in await live_entries(session)}
    assert set(live) == {"docker"} and live["docker"].summary == DOCKER.summary
