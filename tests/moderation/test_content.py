"""The moderators' content service: versions, audit, conflicts, revert, export."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import select

from bot.db import Database
from bot.db.models import AuditRow, EntryVersionRow
from bot.errors import UserError
from bot.knowledge.service import KnowledgeService
from bot.moderation.content import Actor, ContentService, Draft, EditConflict, slugify
from tests.helpers import DOCKER, write_entry

GRACE, OLIVIA = Actor(1, "grace"), Actor(2, "olivia")
DRAFT = Draft(
    "Celery Beat",
    "tool",
    "beat, periodic tasks",
    "Runs periodic Celery tasks.",
    "Celery Beat puts scheduled tasks on the queue.",
)


@pytest.fixture
async def content(database: Database, tmp_path: Path) -> ContentService:
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    knowledge = KnowledgeService(database, root)
    await knowledge.start()
    return ContentService(knowledge)


async def test_add_is_searchable_at_once_with_version_and_audit(content: ContentService) -> None:
    change = await content.add(DRAFT, GRACE)
    assert change.entry.slug == "celery-beat" and change.version == 1
    assert content.knowledge.search("celery beat").hits[0].slug == "celery-beat"
    assert "celery-beat" in [h.slug for h in content.knowledge.autocomplete("celery")]
    async with content.database.session() as session:
        audits = (
            await session.exec(select(AuditRow).where(AuditRow.action == "content.add"))
        ).all()
    assert [a.actor_name for a in audits] == ["grace"]


async def test_edit_then_history_shows_both_versions(content: ContentService) -> None:
    await content.add(DRAFT, GRACE)
    edited = Draft(
        DRAFT.title, DRAFT.category, DRAFT.aliases, "Schedules periodic tasks.", DRAFT.body
    )
    change = await content.edit("celery-beat", edited, 1, OLIVIA)
    assert change.version == 2 and change.changed == ("summary",)
    _, versions = await content.history("celery-beat")
    assert [(v.version, v.author, v.changed) for v in versions] == [
        (2, "olivia", ("summary",)),
        (1, "grace", ("created",)),
    ]


async def test_second_editor_of_an_old_version_gets_a_conflict(content: ContentService) -> None:
    entry, version = await content.current("docker")
    mine = Draft.of(entry)
    await content.edit(
        "docker",
        Draft(mine.title, mine.category, mine.aliases, "Grace's summary.", mine.body),
        version,
        GRACE,
    )
    with pytest.raises(EditConflict) as conflict:
        await content.edit(
            "docker",
            Draft(mine.title, mine.category, mine.aliases, "Olivia's summary.", mine.body),
            version,
            OLIVIA,
        )
    assert conflict.value.current.summary == "Grace's summary."
    assert (await content.current("docker"))[0].summary == "Grace's summary."


async def test_simultaneous_edits_of_one_version_save_one_and_conflict_the_other(
    content: ContentService,
) -> None:
    """Both read version 1 at the same moment; the unique version number lets one win, and the
    other is answered as a conflict (with the newer text), not as an error."""
    entry, version = await content.current("docker")
    mine = Draft.of(entry)
    results = await asyncio.gather(
        *(
            content.edit(
                "docker",
                Draft(mine.title, mine.category, mine.aliases, f"{who} summary.", mine.body),
                version,
                actor,
            )
            for who, actor in (("Grace's", GRACE), ("Olivia's", OLIVIA))
        ),
        return_exceptions=True,
    )
    saved = [r for r in results if not isinstance(r, BaseException)]
    conflicts = [r for r in results if isinstance(r, EditConflict)]
    assert len(saved) == 1 and len(conflicts) == 1, results
    assert conflicts[0].current.summary == saved[0].entry.summary


async def test_remove_then_revert_restores(content: ContentService) -> None:
    await content.remove("docker", GRACE)
    assert content.knowledge.get("docker") is None
    assert not content.knowledge.search("docker").hits
    with pytest.raises(UserError):
        await content.current("docker")
    change = await content.revert("docker", 1, OLIVIA)
    assert change.version == 3 and content.knowledge.get("docker") == DOCKER
    _, versions = await content.history("docker")
    assert [v.changed for v in versions] == [("restored",), ("removed",), ("created",)]


async def test_revert_restores_old_text(content: ContentService) -> None:
    entry, _ = await content.current("docker")
    await content.edit(
        "docker", Draft(entry.title, entry.category, "", "New.", entry.body), 1, GRACE
    )
    change = await content.revert("docker", 1, GRACE)
    assert change.entry.summary == DOCKER.summary and change.entry.aliases == DOCKER.aliases


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (Draft("X", "gadget", "", "s", "b"), "unknown category"),
        (Draft("X", "tool", "", "   ", "b"), "summary is empty"),
        (Draft("Docker", "tool", "", "s", "b"), "already exists"),
        (Draft("Containers 2", "tool", "containers", "s", "b"), "already a name of"),
        (Draft("Y", "challenge", "", "s", "no sections"), "## Problem"),
        (Draft("Z", "tool", "", "s" * 301, "b"), "max 300"),
        (Draft("!!!", "tool", "", "s", "b"), "letters or digits"),
    ],
)
async def test_invalid_drafts_are_refused_clearly(
    content: ContentService, draft: Draft, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        await content.add(draft, GRACE)


async def test_mentions_are_stored_as_written(content: ContentService) -> None:
    draft = Draft("Ping test", "tool", "", "Hello @everyone and <@&123>", "Body @here")
    change = await content.add(draft, GRACE)
    assert change.entry.summary == "Hello @everyone and <@&123>"


async def test_export_then_import_changes_nothing(content: ContentService) -> None:
    await content.add(DRAFT, GRACE)
    entry, version = await content.current("docker")
    await content.edit(
        "docker",
        Draft(entry.title, entry.category, "containers, dkr", entry.summary, entry.body),
        version,
        GRACE,
    )
    root = content.knowledge.content_dir
    written = await content.export(root)
    assert sorted(Path(p).name for p in written) == ["celery-beat.md", "docker.md"]
    report = await content.knowledge.reload()
    assert report.added == report.updated == report.retired == report.conflicts == []
    async with content.database.session() as session:
        versions = len((await session.exec(select(EntryVersionRow))).all())
    assert await content.export(root) == []  # a second export writes nothing
    await content.knowledge.reload()
    async with content.database.session() as session:
        assert len((await session.exec(select(EntryVersionRow))).all()) == versions


async def test_export_removes_files_of_removed_entries(content: ContentService) -> None:
    await content.remove("docker", GRACE)
    await content.export(content.knowledge.content_dir)
    assert not (content.knowledge.content_dir / "technology" / "docker.md").exists()
    report = await content.knowledge.reload()
    assert report.retired == [] and content.knowledge.get("docker") is None


def test_slugify() -> None:
    assert slugify("Celery Beat (scheduler)") == "celery-beat-scheduler"
    assert slugify("Café Déjà vu") == "cafe-deja-vu"


async def test_an_edit_on_one_replica_is_searchable_on_the_other_within_seconds(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.knowledge.service.WATCH_SECONDS", 0.05)
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    replica_a = ContentService(KnowledgeService(database, root))
    replica_b = KnowledgeService(database, root)
    await replica_a.knowledge.start()
    await replica_b.start(watch=True)
    try:
        await replica_a.add(DRAFT, GRACE)
        await replica_a.remove("docker", GRACE)
        for _ in range(100):
            if replica_b.get("celery-beat") is not None and replica_b.get("docker") is None:
                break
            await asyncio.sleep(0.02)
        assert replica_b.search("celery beat").hits[0].slug == "celery-beat"
        assert replica_b.get("docker") is None
    finally:
        await replica_b.stop()
