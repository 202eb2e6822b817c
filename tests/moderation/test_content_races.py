"""Moderators' changes against each other, against the content files and against a replica:
nothing a moderator wrote is lost, and a clash is a clear refusal, never an error id."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path

import pytest

from bot.db import Database
from bot.errors import UserError
from bot.knowledge.service import KnowledgeService
from bot.moderation.content import Actor, ContentService, Draft
from tests.helpers import DOCKER, make_entry, write_entry

GRACE, OLIVIA = Actor(1, "grace"), Actor(2, "olivia")
ROUNDS = 4  # each race is run a few times: a clash needs the two to meet


def draft(title: str, aliases: str = "", summary: str = "") -> Draft:
    return Draft(title, "tool", aliases, summary or f"About {title}.", f"Body of {title}.")


@pytest.fixture
async def replicas(database: Database, tmp_path: Path) -> tuple[ContentService, ContentService]:
    """Two processes on one database and one content folder."""
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    services = []
    for _ in range(2):
        knowledge = KnowledgeService(database, root)
        await knowledge.start()
        services.append(ContentService(knowledge))
    return services[0], services[1]


def refused_clearly(results: list[object]) -> None:
    """Every outcome is a success or a `UserError` (the moderator reads why, and a form's
    text goes back to them); anything else would be an error id."""
    unclear = [r for r in results if isinstance(r, BaseException) and not isinstance(r, UserError)]
    assert unclear == []


async def only_one_saved(*saves: Awaitable[object]) -> None:
    """Run clashing saves at once: one is saved, the others are refused clearly."""
    results = await asyncio.gather(*saves, return_exceptions=True)
    refused_clearly(results)
    assert sum(not isinstance(r, BaseException) for r in results) == 1


async def test_two_moderators_adding_one_title_at_once(
    replicas: tuple[ContentService, ContentService],
) -> None:
    a, b = replicas
    for n in range(ROUNDS):
        title = f"Flask blueprints {n}"
        await only_one_saved(a.add(draft(title), GRACE), b.add(draft(title), OLIVIA))


async def test_removing_reverting_and_editing_one_entry_at_once(
    replicas: tuple[ContentService, ContentService],
) -> None:
    a, b = replicas
    for _ in range(ROUNDS):
        refused_clearly(
            await asyncio.gather(
                a.remove("docker", GRACE), b.remove("docker", OLIVIA), return_exceptions=True
            )
        )
        refused_clearly(
            await asyncio.gather(
                a.revert("docker", 1, GRACE), b.revert("docker", 1, OLIVIA), return_exceptions=True
            )
        )
        entry, version = await a.current("docker")
        edited = Draft.of(entry)
        refused_clearly(
            await asyncio.gather(
                a.edit("docker", draft(entry.title, edited.aliases, "New."), version, GRACE),
                b.remove("docker", OLIVIA),
                return_exceptions=True,
            )
        )
        if a.knowledge.get("docker") is None:
            await a.revert("docker", 1, GRACE)


async def test_revert_refuses_a_name_another_entry_took_meanwhile(
    replicas: tuple[ContentService, ContentService],
) -> None:
    """Docker's first version has the alias "containers"; once a new entry is called that,
    bringing the old version back would give two entries one name (and files that no longer
    load)."""
    a, _ = replicas
    entry, version = await a.current("docker")
    assert "containers" in entry.aliases
    await a.edit(
        "docker", Draft(entry.title, entry.category, "", entry.summary, entry.body), version, GRACE
    )
    await a.add(draft("Containers"), GRACE)
    with pytest.raises(UserError, match=r"Not restored.*already a name of"):
        await a.revert("docker", 1, OLIVIA)
    await a.export(a.knowledge.content_dir)
    assert not (await a.knowledge.reload()).problems


async def restarted(content: ContentService) -> KnowledgeService:
    """A new process on the same database and content folder (a redeploy, a replica)."""
    fresh = KnowledgeService(content.database, content.knowledge.content_dir)
    await fresh.start()
    return fresh


@pytest.mark.parametrize("edited", [False, True])
async def test_an_entry_made_in_discord_is_kept_over_a_new_file_with_its_slug(
    replicas: tuple[ContentService, ContentService], edited: bool
) -> None:
    content, _ = replicas
    await content.add(draft("Flask blueprints", summary="Grace's summary."), GRACE)
    if edited:
        entry, version = await content.current("flask-blueprints")
        fixed = draft(entry.title, summary="Grace's fixed summary.")
        await content.edit("flask-blueprints", fixed, version, GRACE)
    write_entry(
        content.knowledge.content_dir,
        make_entry("flask-blueprints", "Flask blueprints", "tool", summary="From the file."),
    )
    fresh = await restarted(content)
    live = fresh.get("flask-blueprints")
    assert live is not None and live.summary.startswith("Grace's")
    assert (await fresh.reload()).conflicts == ["flask-blueprints"]


async def test_an_exported_edit_survives_a_restart_before_the_files_are_deployed(
    replicas: tuple[ContentService, ContentService], tmp_path: Path
) -> None:
    """Export, review, commit, deploy: until the deploy, processes start from the old files."""
    content, _ = replicas
    entry, version = await content.current("docker")
    mine = Draft(entry.title, entry.category, "", "Grace's.", entry.body)
    await content.edit("docker", mine, version, GRACE)
    checkout = tmp_path / "checkout"
    write_entry(checkout, DOCKER)
    await content.export(checkout)
    fresh = await restarted(content)  # still the old docker.md
    assert fresh.get("docker").summary == "Grace's."  # type: ignore[union-attr]
    deployed = KnowledgeService(content.database, checkout)  # the exported files, deployed
    report = await deployed.start()
    assert report.conflicts == [] and deployed.get("docker").summary == "Grace's."  # type: ignore[union-attr]


async def test_a_name_another_replica_just_gave_is_refused(
    replicas: tuple[ContentService, ContentService],
) -> None:
    """Replica B's index has not seen A's new entry yet (its watcher looks every 3 s): the
    check looks at the database's entries first."""
    a, b = replicas
    await a.add(draft("Flask blueprints", "blueprint routes"), GRACE)
    with pytest.raises(UserError, match="already a name of"):
        await b.add(draft("Django apps", "blueprint routes"), OLIVIA)


async def test_a_saved_change_whose_index_rebuild_fails_is_still_reported_saved(
    replicas: tuple[ContentService, ContentService], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change is committed before the index is rebuilt: the moderator is told it was
    saved (not an error id that invites saving it again), and the watcher shows it."""
    a, _ = replicas
    entry, version = await a.current("docker")

    async def broken() -> None:
        raise MemoryError("index build")

    monkeypatch.setattr(a.knowledge, "refresh", broken)
    change = await a.edit("docker", draft(entry.title, summary="Grace's."), version, GRACE)
    assert change.version == version + 1
    monkeypatch.undo()
    await a.knowledge.catch_up()
    assert a.knowledge.get("docker").summary == "Grace's."  # type: ignore[union-attr]


async def test_once_the_files_say_what_is_live_they_lead_again(
    replicas: tuple[ContentService, ContentService],
) -> None:
    """An edit undone by a revert, or a removal exported (its file deleted): the files agree
    with the database again, so a later change of the files is applied, not a conflict."""
    content, _ = replicas
    root = content.knowledge.content_dir
    entry, version = await content.current("docker")
    await content.edit("docker", draft(entry.title, summary="Grace's."), version, GRACE)
    await content.revert("docker", 1, GRACE)  # the live text is the file's again
    await content.knowledge.reload()
    write_entry(root, make_entry("docker", "Docker", "technology", summary="Improved in git."))
    report = await content.knowledge.reload()
    assert report.updated == ["docker"] and report.conflicts == []

    await content.remove("docker", GRACE)
    await content.export(root)  # docker.md is deleted
    await content.knowledge.reload()
    write_entry(root, make_entry("docker", "Docker", "technology", summary="Back in git."))
    report = await content.knowledge.reload()
    assert report.conflicts == [] and content.knowledge.get("docker") is not None


async def test_two_replicas_cannot_both_give_one_name_at_the_same_moment(
    replicas: tuple[ContentService, ContentService],
) -> None:
    a, b = replicas
    for n in range(ROUNDS):
        alias = f"shared name {n}"
        await only_one_saved(
            a.add(draft(f"Flask blueprints {n}", alias), GRACE),
            b.add(draft(f"Django apps {n}", alias), OLIVIA),
        )
    await a.export(a.knowledge.content_dir)
    assert not (await a.knowledge.reload()).problems


async def test_a_process_starting_from_older_files_keeps_the_newer_text(
    replicas: tuple[ContentService, ContentService], tmp_path: Path
) -> None:
    """A rolling deploy: one process imports the new files; another, restarting from the old
    ones, must not put the old text back (nor bring back an entry removed since)."""
    content, _ = replicas
    old_files = content.knowledge.content_dir
    entry, version = await content.current("docker")
    await content.edit("docker", draft(entry.title, summary="Grace's."), version, GRACE)
    await content.add(draft("Flask blueprints"), GRACE)
    await content.remove("flask-blueprints", GRACE)
    new_files = tmp_path / "deployed"
    write_entry(new_files, DOCKER)
    await content.export(new_files)
    await KnowledgeService(content.database, new_files).start()  # the new deploy
    restarted = KnowledgeService(content.database, old_files)  # a process of the old one
    report = await restarted.start()
    assert report.updated == [] and report.added == []
    assert restarted.get("docker").summary == "Grace's."  # type: ignore[union-attr]
    assert restarted.get("flask-blueprints") is None
