"""Every schema change is a migration: upgrading from any earlier revision keeps the rows."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.db import Database
from bot.db.migrate import alembic_config, current_revision, newest_revision, upgrade
from bot.db.models import CheckinAnswer, Delivery, EventStatus, GroupStatus
from bot.ledger import CLAIMED

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 1, tzinfo=UTC)
REVISIONS = [
    r.revision
    for r in reversed(
        list(ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions())
    )
]

ENTRY: dict[str, object] = {
    "id": 1,
    "slug": "docker",
    "title": "Docker",
    "category": "technology",
    "aliases": "[]",
    "tags": "[]",
    "summary": "s",
    "related": "[]",
    "sources": "[]",
    "body": "b",
    "version": 1,
    "deleted": False,
    "edited_in_discord": False,
    "updated_at": NOW,
}

# Rows that each revision's tables can hold; inserted for every revision up to the start.
ROWS: dict[str, list[tuple[str, dict[str, object]]]] = {
    "0001": [
        ("entry", ENTRY),
        (
            "entry_version",
            {
                "id": 1,
                "entry_id": 1,
                "version": 1,
                "snapshot": "{}",
                "origin": "file",
                "created_at": NOW,
            },
        ),
        (
            "audit_log",
            {"id": 1, "action": "import", "target": "content", "detail": "", "created_at": NOW},
        ),
    ],
    "0002": [
        (
            "milestone",
            {
                "id": 1,
                "name": "Deadline",
                "description": "",
                "due_at": NOW,
                "offsets": "[0]",
                "deleted": False,
                "created_at": NOW,
                "updated_at": NOW,
            },
        ),
        (
            "reminder",
            {
                "id": 1,
                "milestone_id": 1,
                "offset_seconds": 0,
                "due_at": NOW,
                "status": "sent",
                "attempts": 1,
                "note": "",
            },
        ),
        ("reminder_subscription", {"user_id": 2**62, "created_at": NOW}),
    ],
    "0003": [
        (
            "learner",
            {
                "user_id": 2**62,
                "name": "ada",
                "role": "frontend",
                "timezone": "Africa/Lagos",
                "stack": "[]",
                "interests": "[]",
                "project": "",
                "active": True,
                "joined_at": NOW,
                "updated_at": NOW,
            },
        ),
    ],
    "0004": [
        (
            "entry",
            {
                **ENTRY,
                "id": 2,
                "slug": "celery",
                "misspellings": '["celry"]',
                "questions": '["how do i run tasks in the background"]',
            },
        ),
    ],
    "0005": [
        (
            "reminder_dm",
            {
                "id": 1,
                "reminder_id": 1,
                "user_id": 2**62,
                "status": "retry",
                "attempts": 2,
                "claimed_at": NOW,
                "retry_at": NOW,
                "created_at": NOW,
            },
        ),
    ],
    "0006": [
        (
            "milestone",
            {
                "id": 2,
                "name": "Demo day",
                "name_key": "demo day",
                "description": "",
                "due_at": NOW,
                "offsets": "[0]",
                "deleted": False,
                "created_at": NOW,
                "updated_at": NOW,
            },
        ),
    ],
    "0007": [("interaction_claim", {"id": 2**62, "created_at": NOW})],
    "0008": [("deployment", {"id": 1, "key": "0123456789abcdef"})],
    "0010": [
        (
            "milestone",
            {
                "id": 3,
                "name": "Events",
                "name_key": "events",
                "description": "",
                "due_at": NOW,
                "offsets": "[0]",
                "deleted": False,
                "created_at": NOW,
                "updated_at": NOW,
                "event_id": 2**62,
                "event_status": "synced",
            },
        ),
    ],
    "0011": [
        (
            "learner",
            {
                "user_id": 2**61,
                "name": "linus",
                "role": "backend",
                "timezone": "UTC",
                "stack": "[]",
                "interests": "[]",
                "project": "",
                "active": True,
                "first_in_line": True,
                "joined_at": NOW,
                "updated_at": NOW,
            },
        ),
        ("pairing_notice", {"id": 1, "slot": "weekly-2026-01-05T09:00", "status": "posted"}),
    ],
    "0012": [
        (
            "learn_answer",
            {
                "id": 1,
                "kind": "answer",
                "question": "how do i ship my app",
                "entry_slug": "docker",
                "best_slug": None,
                "picked": False,
                "settled": True,
                "created_at": NOW,
            },
        ),
        ("learn_vote", {"answer_id": 1, "member_id": 2**62, "helpful": False, "voted_at": NOW}),
        (
            "knowledge_gap",
            {
                "id": 1,
                "question": "how do i ship my app",
                "count": 1,
                "first_seen": NOW,
                "last_seen": NOW,
                "best_slug": "docker",
                "dismissed_at": None,
            },
        ),
    ],
    "0009": [
        ("milestone_done", {"milestone_id": 1, "user_id": 2**62, "created_at": NOW}),
        (
            "reminder_snooze",
            {
                "id": 1,
                "reminder_id": 1,
                "user_id": 2**62,
                "due_at": NOW,
                "status": "pending",
                "attempts": 0,
                "created_at": NOW,
            },
        ),
    ],
}


def test_every_revision_has_sample_rows() -> None:
    assert set(REVISIONS) == set(ROWS), "add sample rows for the new migration"


@pytest.mark.parametrize("start", REVISIONS)
async def test_upgrade_from_each_revision_keeps_rows(database_url: str, start: str) -> None:
    database = Database(database_url)
    try:
        await upgrade(database, start)
        inserted = [row for rev in REVISIONS[: REVISIONS.index(start) + 1] for row in ROWS[rev]]
        async with database.engine.begin() as connection:
            for table, values in inserted:
                columns = ", ".join(values)
                marks = ", ".join(f":{name}" for name in values)
                await connection.execute(
                    text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values
                )
        await upgrade(database)
        assert await current_revision(database) == REVISIONS[-1]
        async with database.engine.connect() as connection:
            for table, values in inserted:
                key, value = next(iter(values.items()))
                found = await connection.execute(
                    text(f"SELECT count(*) FROM {table} WHERE {key} = :value"), {"value": value}
                )
                assert found.scalar() == 1, table
    finally:
        await database.dispose()


async def test_milestones_doubled_before_0006_are_merged(database_url: str) -> None:
    database = Database(database_url)
    try:
        await upgrade(database, "0005")
        async with database.engine.begin() as connection:
            for number, name in enumerate(("Demo day", "demo  DAY", "Demo day"), start=1):
                await connection.execute(
                    text(
                        "INSERT INTO milestone (id, name, description, due_at, offsets, deleted,"
                        " created_at, updated_at) VALUES (:id, :name, '', :now, '[0]', false,"
                        " :now, :now)"
                    ),
                    {"id": number, "name": name, "now": NOW},
                )
                await connection.execute(
                    text(
                        "INSERT INTO reminder (id, milestone_id, offset_seconds, due_at, status,"
                        " attempts, note) VALUES (:id, :id, 0, :now, 'pending', 0, '')"
                    ),
                    {"id": number, "now": NOW},
                )
        await upgrade(database)
        async with database.engine.connect() as connection:
            live = await connection.execute(text("SELECT id FROM milestone WHERE NOT deleted"))
            pending = await connection.execute(
                text("SELECT milestone_id FROM reminder WHERE status = 'pending'")
            )
            assert live.scalars().all() == [1] and pending.scalars().all() == [1]
    finally:
        await database.dispose()


async def test_0011_puts_the_last_left_out_first_and_sends_no_late_reminders(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:
        await upgrade(database, "0010")
        async with database.engine.begin() as connection:
            for user_id in (1, 2, 3):
                await connection.execute(
                    text(
                        "INSERT INTO learner (user_id, name, role, timezone, stack, interests,"
                        " project, active, joined_at, updated_at) VALUES (:id, 'x', 'backend',"
                        " 'UTC', '[]', '[]', '', true, :now, :now)"
                    ),
                    {"id": user_id, "now": NOW},
                )
            for round_id, user_id in ((1, 1), (2, 2)):  # 1 was left out before the last round
                await connection.execute(
                    text("INSERT INTO pairing_round (id, score, created_at) VALUES (:id, 0, :now)"),
                    {"id": round_id, "now": NOW},
                )
                await connection.execute(
                    text(
                        "INSERT INTO pairing_unplaced (round_id, user_id, reason, notified)"
                        " VALUES (:round, :user, 'r', true)"
                    ),
                    {"round": round_id, "user": user_id},
                )
            await connection.execute(
                text(
                    "INSERT INTO pairing_group (id, round_id, score, overlap_hours, shared, status,"
                    " checkin_status) VALUES (1, 1, 0, 0, '[]', 'announced', 'posted')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO pairing_member (id, group_id, user_id, role, active)"
                    " VALUES (1, 1, 3, 'backend', true)"
                )
            )
        await upgrade(database)
        async with database.engine.connect() as connection:
            first = await connection.execute(
                text("SELECT user_id FROM learner WHERE first_in_line")
            )
            assert first.scalars().all() == [2]
            nudges = await connection.execute(text("SELECT nudge_status FROM pairing_member"))
            # no late reminder for an old check-in
            assert nudges.scalars().all() == [GroupStatus.POSTED]
    finally:
        await database.dispose()


def test_stored_statuses_keep_their_values() -> None:
    """Statuses are stored as text, and migrations and old rows use these words: changing one
    needs a migration, so they are pinned here."""
    delivery = ["pending", "claimed", "sent", "retry", "skipped", "cancelled", "failed", "closed"]
    assert list(Delivery) == delivery
    assert list(GroupStatus) == ["pending", "claimed", "announced", "dropped", "posted"]
    assert list(EventStatus) == ["pending", "claimed", "synced", "failed"]
    assert list(CheckinAnswer) == ["collaborating", "new_partner"]
    assert Delivery.CLAIMED == GroupStatus.CLAIMED == EventStatus.CLAIMED == CLAIMED  # the ledger's


async def test_downgrade_to_base_and_back(database_url: str) -> None:
    database = Database(database_url)
    try:
        await upgrade(database)
        config = alembic_config(database_url)
        from alembic import command

        async with database.engine.begin() as connection:

            def down(sync_connection: object) -> None:
                config.attributes["connection"] = sync_connection
                command.downgrade(config, "base")

            await connection.run_sync(down)
        assert await current_revision(database) is None
        await upgrade(database)
        assert await current_revision(database) == REVISIONS[-1]
    finally:
        await database.dispose()


def test_the_newest_revision_read_from_the_files_is_alembics_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert [newest_revision()] == heads == [REVISIONS[-1]]


def migration(folder: Path, revision: str, down: str, *, annotated: bool = True) -> None:
    hint = ": str | None" if annotated else ""
    (folder / f"{revision}_x.py").write_text(
        f"revision{hint} = {revision!r}\ndown_revision{hint} = {down}\n", encoding="utf-8"
    )


def test_the_newest_revision_follows_merges_and_is_unknown_without_one_head(
    tmp_path: Path,
) -> None:
    migration(tmp_path, "a", "None")
    migration(tmp_path, "b", "'a'", annotated=False)
    migration(tmp_path, "c", '"a"')
    assert newest_revision(tmp_path) is None  # two heads: Alembic decides
    migration(tmp_path, "d", "('b', 'c')")
    assert newest_revision(tmp_path) == "d"
    (tmp_path / "e_x.py").write_text("revision = 'e'\n", encoding="utf-8")
    assert newest_revision(tmp_path) is None  # a file it cannot read: Alembic decides


async def test_a_database_at_the_newest_revision_is_started_without_importing_alembic(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:
        await upgrade(database)
    finally:
        await database.dispose()
    code = (
        "import asyncio, sys\n"
        "from bot.db import Database\n"
        "from bot.db.migrate import upgrade\n"
        f"database = Database({database_url!r})\n"
        "asyncio.run(upgrade(database))\n"
        "print('alembic' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    assert out.decode().strip() == "False"
