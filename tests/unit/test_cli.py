"""The command line as an operator meets it: clean failures, migrations, validation."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from bot.db import Database
from bot.db.migrate import upgrade
from bot.db.models import AnswerKind
from bot.feedback import FeedbackService
from bot.knowledge.service import KnowledgeService
from bot.moderation.content import ContentService

ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    *args: str, cwd: Path, input_text: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("NEXUS_", "DISCORD_", "DATABASE_"))
    }
    clean.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_points_to_the_sandbox(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode == 1
    assert "DISCORD_TOKEN" in result.stderr and "sandbox" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_settings_exit_2_with_one_line_per_problem(tmp_path: Path) -> None:
    result = run_cli(
        "run",
        cwd=tmp_path,
        NEXUS_GUILD_ID="abc",
        NEXUS_HTTP_PORT="99999",
        NEXUS_MODERATOR_ROLE_IDS="12,x",
        DATABASE_URL="mysql://nope",
    )
    assert result.returncode == 2
    problems = [line for line in result.stderr.splitlines() if line.startswith("configuration")]
    assert len(problems) == 4
    for name in ("NEXUS_GUILD_ID", "NEXUS_HTTP_PORT", "NEXUS_MODERATOR_ROLE_IDS", "DATABASE_URL"):
        assert any(name in line for line in problems)
    assert "Traceback" not in result.stderr


def test_settings_come_from_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("NEXUS_GUILD_ID=42\nNEXUS_MODERATOR_ROLE_IDS=1, 2\n")
    monkeypatch.chdir(tmp_path)
    for name in ("NEXUS_GUILD_ID", "NEXUS_MODERATOR_ROLE_IDS"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.guild_id == 42 and settings.moderator_role_ids == (1, 2)


def test_token_never_appears_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token-value")
    monkeypatch.setenv("NEXUS_GUILD_ID", "abc")
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert "secret-token-value" not in str(caught.value)
    assert "secret-token-value" not in repr(
        load_settings.__globals__["Settings"](_env_file=None, NEXUS_GUILD_ID=1)
    )


def test_db_upgrade_creates_the_folder_and_migrates(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/deep/folder/nexus.db"
    result = run_cli("db", "upgrade", cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert "revision" in result.stdout
    assert (tmp_path / "deep/folder/nexus.db").exists()


def test_content_validate_reports_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "content" / "tool"
    folder.mkdir(parents=True)
    (folder / "bad.md").write_text(
        "---\nslug: bad\ntitle: Bad\ncategory: tool\naliases: []\ntags: []\n"
        "summary: ''\nrelated: [missing-entry]\nsources: []\n---\nBody\n"
    )
    result = run_cli("content", "validate", "content", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "content/tool/bad.md:7: summary is empty" in lines
    assert any(":8:" in line and "missing-entry" in line for line in lines), lines


def test_real_content_validates(tmp_path: Path) -> None:
    result = run_cli("content", "validate", str(ROOT / "content"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout


def test_pairing_simulate_prints_json(tmp_path: Path) -> None:
    result = run_cli(
        "pairing",
        "simulate",
        "--frontend",
        "30",
        "--backend",
        "45",
        "--seed",
        "3",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["unmatched"] == 0 and report["groups"] == 30 and report["trios"] == 15
    assert report["score"] >= report["greedy_score"]


def test_search_json_answers_and_rejects_nonsense(tmp_path: Path) -> None:
    result = run_cli(
        "search",
        "--json",
        "--stdin",
        cwd=tmp_path,
        NEXUS_CONTENT_DIR=str(ROOT / "content"),
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/s.db",
        input_text="kubernates\nbanana spaceship\n",
    )
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first[0]["slug"] == "kubernetes" and 0 <= first[0]["score"] <= 100
    assert set(first[0]) == {
        "slug",
        "title",
        "category",
        "score",
        "confident",
        "aliases",
        "tags",
        "summary",
    }
    assert first[0]["confident"] is True
    assert second == []


def test_db_backup_is_a_restorable_copy(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/live.db"
    assert run_cli("db", "upgrade", cwd=tmp_path, DATABASE_URL=url).returncode == 0
    with sqlite3.connect(tmp_path / "live.db") as live:
        live.execute(
            "INSERT INTO reminder_subscription (user_id, created_at) "
            "VALUES (42, '2026-01-01 00:00:00')"
        )
    result = run_cli(
        "db", "backup", str(tmp_path / "copy" / "b.db"), cwd=tmp_path, DATABASE_URL=url
    )
    assert result.returncode == 0, result.stderr
    restored = f"sqlite+aiosqlite:///{tmp_path}/copy/b.db"
    assert run_cli("db", "upgrade", cwd=tmp_path, DATABASE_URL=restored).returncode == 0
    with sqlite3.connect(tmp_path / "copy" / "b.db") as copy:
        assert copy.execute("SELECT user_id FROM reminder_subscription").fetchall() == [(42,)]
    pg = run_cli(
        "db", "backup", "x.db", cwd=tmp_path, DATABASE_URL="postgresql+asyncpg://u@localhost/db"
    )
    assert pg.returncode == 1 and "pg_dump" in pg.stderr


def test_content_validate_checks_the_timeline(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "timeline.yaml").write_text(
        "program: P\ncohort_start: 2025-06-23\ntimezone: Mars/Base\nmilestones: []\n"
    )
    result = run_cli("content", "validate", "content", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "content/timeline.yaml:3: invalid timeline: unknown time zone 'Mars/Base' "
        "(an IANA name: Africa/Lagos)",
        "content/timeline.yaml:4: invalid timeline: milestones is empty",
    ]
    assert "Traceback" not in result.stderr


def test_content_validate_without_entries_exits_1_and_says_why(tmp_path: Path) -> None:
    missing = run_cli("content", "validate", "no-such-folder", cwd=tmp_path)
    assert missing.returncode == 1
    assert "content validate: no-such-folder does not exist" in missing.stderr
    (tmp_path / "content" / "concept").mkdir(parents=True)
    empty = run_cli("content", "validate", "content", cwd=tmp_path)
    assert empty.returncode == 1
    assert "content validate: content holds no entries" in empty.stderr
    assert "Traceback" not in missing.stderr + empty.stderr


def test_content_validate_prints_every_problem_of_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "content" / "program"
    folder.mkdir(parents=True)
    (folder / "rules.md").write_text(
        "---\nslug: rules\ntitle: Rules\ncategory: program\ncolour: red\ntags: [Web]\n"
        "summary: ''\n---\nMentors review it.\n\n```python\nx = (\n```\n"
    )
    result = run_cli("content", "validate", "content", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        "content/program/rules.md:4",  # a program entry without sources
        "content/program/rules.md:5",  # unknown field
        "content/program/rules.md:6",  # tag not lowercase
        "content/program/rules.md:7",  # summary empty
        "content/program/rules.md:11",  # the python block
    ]
    assert "states program facts" in lines[0] and "does not parse" in lines[-1]
    assert "0 entries, 5 problem(s)" in result.stderr


def test_run_with_a_token_fails_cleanly_when_discord_refuses_or_is_unreachable(
    tmp_path: Path,
) -> None:
    result = run_cli(
        "run",
        cwd=tmp_path,
        DISCORD_TOKEN="not.a.token",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/r.db",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Could not reach Discord" in result.stderr or "rejected" in result.stderr


def test_search_without_a_query_prints_usage_and_exits_2(tmp_path: Path) -> None:
    result = run_cli("search", "  ", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.startswith("usage: python -m bot search") and "give a query" in result.stderr
    )


def test_help_lists_every_command_group(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    for group in ("run", "start", "sandbox", "db", "content", "pairing", "search"):
        assert f"\n    {group} " in result.stdout, group


def test_heavy_libraries_are_imported_only_where_they_are_used(tmp_path: Path) -> None:
    """Start-up stays lean: matching, charts and the semantic model load when first used."""
    probe = (
        "import sys, bot.app, cogs.pairing, cogs.knowledge, cogs.content, cogs.reminders;"
        "print(sorted(m for m in ('scipy.optimize', 'matplotlib', 'sentence_transformers',"
        " 'torch') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_without_the_emulator_the_sandbox_says_why(tmp_path: Path) -> None:
    """The Docker image ships `bot` and `cogs`, not the emulator: the sandbox refuses clearly."""
    import shutil

    for package in ("bot", "cogs"):
        shutil.copytree(ROOT / package, tmp_path / package)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEXUS_", "DISCORD_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "needs the Discord emulator" in result.stderr and "Traceback" not in result.stderr


def test_content_gaps_prints_the_inbox_as_text_and_json(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/gaps.db"

    async def ask(*questions: str) -> None:
        database = Database(url)
        await upgrade(database)
        content = ContentService(KnowledgeService(database, ROOT / "content"))
        for question in questions:
            await FeedbackService(database, content).record(AnswerKind.NOTHING, question=question)
        await database.dispose()

    asyncio.run(ask("What is a monad?", "what is a monad", "how do i center a div"))
    env = {"DATABASE_URL": url, "NEXUS_CONTENT_DIR": str(ROOT / "content")}
    text = run_cli("content", "gaps", cwd=tmp_path, **env)
    assert text.returncode == 0, text.stderr
    header, first, second = text.stdout.splitlines()
    assert second.endswith("how do i center a div")
    assert "question" in header and first.split()[0] == "2" and first.endswith("what is a monad")
    listed = json.loads(run_cli("content", "gaps", "--json", cwd=tmp_path, **env).stdout)
    assert [(g["question"], g["count"]) for g in listed] == [
        ("what is a monad", 2),
        ("how do i center a div", 1),
    ]
    assert set(listed[0]) == {
        "question",
        "count",
        "first_seen",
        "last_seen",
        "best_suggestion",
        "helpful",
        "not_helpful",
    }
    for days in ("0", "-1", "100000000"):
        refused = run_cli("content", "gaps", "--days", days, cwd=tmp_path, **env)
        assert refused.returncode == 2 and "from 1 to 3650" in refused.stderr
