"""`content validate`'s content-truth rules (python blocks parse, program facts name their
sources) and its reporting of every problem of a file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.knowledge.cli import check_content
from bot.knowledge.files import (
    ContentError,
    Problem,
    check_facts,
    code_blocks,
    load_directory,
    parse_entry,
    program_fact,
    python_problems,
)
from bot.reminders.timeline import read_timeline
from tests.helpers import write_file as write

CONTENT = Path(__file__).resolve().parents[2] / "content"

FRONT = {
    "slug": "caching",
    "title": "Caching",
    "category": "concept",
    "tags": "[performance]",
    "summary": "Keep a computed answer to reuse it.",
    "sources": "[seed-000]",
}


def entry_text(body: str = "Plain text.", **fields: str | None) -> str:
    """An entry file: FRONT with `fields` changed (None drops one), then `body` on line 9
    (line 8 without sources)."""
    front = {**FRONT, **fields}
    lines = [f"{key}: {value}" for key, value in front.items() if value is not None]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def strict_problems(root: Path) -> list[Problem]:
    return load_directory(root, strict=True)[1]


# --------------------------------------------------------------------------- code blocks


def test_code_blocks_are_found_with_language_line_and_code() -> None:
    body = "\n".join(
        [
            "Intro.",  # 0
            "```python",  # 1
            "x = 1",
            "```",  # 3
            "~~~ Py title",  # 4
            "y = 2",
            "~~~",  # 6
            "1. A list item:",  # 7
            "   ```bash",  # 8
            "   echo hi",
            "   ```",  # 10
            "````",  # 11
            "```python",
            "````",  # 13
            "```py",  # 14
            "unclosed(",
        ]
    )
    blocks = code_blocks(body)
    assert [(b.language, b.line, b.end, b.code) for b in blocks] == [
        ("python", 1, 3, "x = 1"),
        ("py", 4, 6, "y = 2"),
        ("bash", 8, 10, "echo hi"),
        ("", 11, 13, "```python"),
        ("py", 14, 16, "unclosed("),
    ]


def test_inline_triple_backticks_are_not_a_fence() -> None:
    assert code_blocks("Use ```python``` here.\nx") == []


# --------------------------------------------------------------------------- python blocks


def test_python_block_that_does_not_parse_names_file_block_line_and_error(
    tmp_path: Path,
) -> None:
    body = "Intro.\n\n```python\nimport os\ndef broken(:\n    pass\n```\n"
    path = write(tmp_path, "concept", "caching", entry_text(body))
    problem = next(p for p in strict_problems(tmp_path))
    assert problem.path == str(path)
    assert problem.line == 11  # the body starts on line 9; the fence is its third line
    assert "```python block does not parse" in problem.message
    assert "invalid syntax" in problem.message
    assert "at line 13" in problem.message and "def broken(:" in problem.message
    assert "```text" in problem.message  # how to mark a deliberate fragment


@pytest.mark.parametrize("language", ["python", "py", "Python", "python3", "py3"])
def test_every_python_spelling_is_checked(language: str) -> None:
    problems = python_problems(f"```{language}\nprint(\n```", "x.md")
    assert len(problems) == 1 and problems[0].line == 1


@pytest.mark.parametrize("language", ["text", "pycon", "", "bash", "python-fragment"])
def test_fragments_marked_as_another_language_are_not_checked(language: str) -> None:
    assert python_problems(f"```{language}\n>>> x = (\n...\n```", "x.md") == []


def test_valid_python_passes_even_with_top_level_await_and_return() -> None:
    code = "import asyncio\n\nawait asyncio.sleep(1)\n\nclass A:\n    x: int = 1\n"
    assert python_problems(f"```python\n{code}```\n", "x.md") == []
    assert python_problems('```python\npattern = "\\d+"\n```', "x.md") == []  # only a warning


def test_indented_python_block_in_a_list_parses_without_its_indent() -> None:
    body = "1. Step:\n\n   ```python\n   if ok:\n       run()\n   ```\n"
    assert python_problems(body, "x.md") == []


def test_every_broken_block_is_reported(tmp_path: Path) -> None:
    body = "```python\nx = (\n```\n\ntext\n\n```py\ny = ]\n```\n\n```python\nz = 1\n```\n"
    write(tmp_path, "concept", "caching", entry_text(body))
    problems = strict_problems(tmp_path)
    assert [p.line for p in problems] == [9, 15]


def test_python_blocks_are_checked_only_by_content_validate(tmp_path: Path) -> None:
    write(tmp_path, "concept", "caching", entry_text("```python\nx = (\n```"))
    assert load_directory(tmp_path)[1] == []  # the bot still imports the entry
    assert len(strict_problems(tmp_path)) == 1


# --------------------------------------------------------------------------- sources


def entry(**changes: object):  # type: ignore[no-untyped-def]
    base = parse_entry(entry_text(), "content/concept/caching.md")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_program_entry_needs_sources() -> None:
    found = program_fact(entry(category="program", sources=()), {"category": 4})
    assert found == ("its category is program", 4)
    problem = check_facts(entry(category="program", sources=()), "p.md", {"category": 4})
    assert len(problem) == 1
    assert "names no sources" in problem[0].message and "seed-" in problem[0].message


@pytest.mark.parametrize(
    "text",
    [
        "Project Nexus is the capstone.",
        "In project-nexus you build an API.",
        "Milestone 3 adds authentication.",
        "milestones 1-2 set up the database",
        "Month 2 covers Docker.",
        "months 3-4",
        "Ask your mentor.",
        "The mentors review it.",
        "Graduation needs a passing average.",
        "You graduate when ...",
        "The rubric weighs documentation.",
        "Scoring: 80% and above.",
        "The review period is a week.",
        "during the review window",
        "Submissions closed on August 10, 2025.",
        "The 2026 cohort",
    ],
)
def test_program_facts_in_the_text_need_sources(text: str) -> None:
    for field in ("summary", "body", "title"):
        assert program_fact(entry(**{field: text})) is not None, (field, text)
        assert check_facts(entry(**{field: text}, sources=()), "x.md"), (field, text)
        assert check_facts(entry(**{field: text}), "x.md") == []  # it names a source
    assert program_fact(entry(aliases=(text[:60],))) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Caching keeps an answer to reuse it.",
        "A monthly report runs on the 1st.",
        "Month names: January.",
        "Code review catches bugs; review the diff.",
        "RSA 2048 keys and port 2020.",
        "Score each candidate.",
        "Nexus of services.",
        "month 5 and month 12",
    ],
)
def test_general_text_needs_no_sources(text: str) -> None:
    assert program_fact(entry(body=text)) is None, text
    assert check_facts(entry(body=text, sources=()), "x.md") == []


def test_search_words_and_code_are_not_read_as_facts() -> None:
    quiet = entry(
        sources=(),
        questions=("what does my mentor expect in milestone 2",),
        misspellings=("project nexsus",),
        tags=("project-nexus",),
        body="Example:\n\n```python\nmentor = Mentor(month=1)  # Project Nexus\n```\n",
    )
    assert program_fact(quiet) is None


def test_the_sources_problem_points_at_the_mention_or_the_sources_line(tmp_path: Path) -> None:
    body = "Intro.\n\nAsk the mentors in Discord."
    write(tmp_path, "concept", "caching", entry_text(body, sources=None))
    problem = only(strict_problems(tmp_path))
    assert problem.line == 10  # the body starts on line 8
    assert "'mentors'" in problem.message and "line 10" in problem.message
    write(tmp_path, "concept", "caching", entry_text(body, sources="[]"))
    problem = only(strict_problems(tmp_path))
    assert problem.line == 7  # the empty `sources:` line
    assert load_directory(tmp_path)[1] == []  # only content validate asks for sources


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# --------------------------------------------------------------------------- every problem


def test_every_schema_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    text = (
        "---\n"
        "slug: caching\n"  # 2
        "title: 2024\n"  # 3: not a string
        "category: concept\n"  # 4
        "colour: red\n"  # 5: unknown
        "tags: web\n"  # 6: not a list
        "aliases: ['!!']\n"  # 7: no letters (a rule, checked on the readable fields)
        "related: [ghost, 3]\n"  # 8: an item is not a string
        "slug: caching\n"  # 9: duplicate key
        "---\n"
        "```python\nx = (\n```\n"  # 11
    )
    path = write(tmp_path, "concept", "caching", text)
    entries, problems = load_directory(tmp_path, strict=True)
    assert entries == []
    found = {(p.line, p.message.split(" (")[0].split(",")[0]) for p in problems}
    assert found == {
        (1, "missing required field 'summary'"),
        (3, "'title' must be a string"),
        (5, "unknown field 'colour'"),
        (6, "'tags' must be a list of strings"),
        (7, "alias '!!' has no letters or digits"),
        (8, "'related' items must be strings"),
        (9, "duplicate key 'slug'"),
        (11, "```python block does not parse: '(' was never closed at line 12"),
    }, [str(p) for p in problems]
    assert all(p.path == str(path) for p in problems)
    with pytest.raises(ContentError) as first:  # parse_entry still raises (the first one)
        parse_entry(text, str(path))
    assert first.value.line == 1


def test_rules_are_all_reported_for_a_readable_file(tmp_path: Path) -> None:
    text = entry_text(
        "```python\nx = (\n```",
        title="''",
        tags="[Web, Web]",
        related="[caching]",
        sources="[]",
        category="program",
    )
    write(tmp_path, "concept", "caching", text)
    messages = [p.message for p in strict_problems(tmp_path)]
    assert len(messages) == 8, messages
    for fragment in (
        "does not match the folder",
        "title is empty",
        "lowercase",
        "listed twice",
        "itself",
        "does not parse",
        "names no sources",
    ):
        assert any(fragment in m for m in messages), (fragment, messages)


def test_a_file_whose_yaml_is_broken_still_has_its_python_checked(tmp_path: Path) -> None:
    write(tmp_path, "concept", "caching", "---\ntitle: [x\n---\n```py\nx = (\n```\n")
    problems = strict_problems(tmp_path)
    assert [(p.line, p.message[:12]) for p in problems] == [
        (2, "invalid YAML"),
        (4, "```py block "),
    ]


# --------------------------------------------------------------------------- whole folder


def test_check_content_refuses_a_missing_folder_or_one_without_entries(tmp_path: Path) -> None:
    missing = check_content(tmp_path / "nope")
    assert not missing.ok and "does not exist" in (missing.fatal or "")
    (tmp_path / "file").write_text("x")
    assert "not a folder" in (check_content(tmp_path / "file").fatal or "")
    (tmp_path / "empty" / "concept").mkdir(parents=True)
    (tmp_path / "empty" / "README.md").write_text("# not an entry")
    empty = check_content(tmp_path / "empty")
    assert not empty.ok and "holds no entries" in (empty.fatal or "")
    write(tmp_path / "one", "concept", "caching", entry_text())
    assert check_content(tmp_path / "one").ok


def test_a_folder_whose_only_entry_is_broken_reports_it_not_emptiness(tmp_path: Path) -> None:
    write(tmp_path, "concept", "caching", "no front matter")
    check = check_content(tmp_path)
    assert check.fatal is None and len(check.problems) == 1 and not check.ok


TIMELINE = """\
program: ProDev
cohort_start: 2025-06-23
timezone: UTC
milestones:
  - key: deadline
    name: Project submission deadline
    day: 48
    description: Submit the repository.
"""


def test_timeline_names_and_descriptions_hold_no_dates(tmp_path: Path) -> None:
    path = tmp_path / "timeline.yaml"
    path.write_text(TIMELINE)
    assert read_timeline(path, strict=True)[1] == []
    for dated in ("Review (August 11-18)", "Deadline, Aug. 10", "The 2025 deadline"):
        path.write_text(TIMELINE.replace("Project submission deadline", repr(dated)))
        timeline, problems = read_timeline(path, strict=True)
        assert timeline is None and len(problems) == 1, problems
        assert problems[0][0] == 6 and "holds a date" in problems[0][1]
        assert read_timeline(path)[0] is not None  # the bot still loads it
    path.write_text(TIMELINE.replace("Submit the repository.", "Mentors review until Aug 18."))
    assert "the description holds a date ('Aug 18')" in read_timeline(path, strict=True)[1][0][1]


def test_timeline_reports_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "timeline.yaml"
    path.write_text(
        TIMELINE.replace("2025-06-23", "2025-13-01")
        .replace("UTC", "Mars/Base")
        .replace("day: 48", "day: soon\n    time: '25:00'\n    offsets: 7 days")
    )
    timeline, problems = read_timeline(path)
    assert timeline is None
    assert [line for line, _ in problems] == [2, 3, 7, 8, 9]


def test_real_content_passes_the_content_truth_rules() -> None:
    check = check_content(CONTENT)
    assert check.entries > 0
    assert check.problems == (), "\n" + "\n".join(str(p) for p in check.problems)
