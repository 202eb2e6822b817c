"""Parsing, validation and round-trip tests for knowledge entry files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.knowledge.entry import CATEGORIES, Entry
from bot.knowledge.files import (
    ContentError,
    Problem,
    dump_entry,
    load_directory,
    parse_entry,
    validate,
)
from tests.helpers import write_file as write

CONTENT = Path(__file__).resolve().parents[2] / "content"

GOOD = """\
---
slug: n-plus-one-queries
title: N+1 queries
category: concept
aliases: [n+1, n plus one, n+1 problem, select_related vs prefetch_related]
tags: [django, orm, performance]
summary: One query per row instead of one query in total.
related: [django-orm]
sources: [seed-000, seed-003]
---
Body with **Markdown**.

More body.
"""

ORM = """\
---
slug: django-orm
title: Django ORM
category: concept
aliases: [orm]
tags: [django]
summary: Maps models to tables.
related: []
sources: [seed-000]
---
The ORM.
"""

CHALLENGE = """\
---
slug: slow-api
title: "Challenge: a slow API"
category: challenge
aliases: []
tags: [performance]
summary: The API was slow.
related: []
sources: [seed-004]
---
## Problem
Slow.

## Solution
Cache.

## Outcome
Fast.
"""


def make(**changes: object) -> Entry:
    """A valid entry with some fields replaced."""
    base = parse_entry(GOOD, "content/concept/n-plus-one-queries.md")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def problems_for(tmp_path: Path, *files: tuple[str, str, str]) -> list[Problem]:
    for category, slug, text in files:
        write(tmp_path, category, slug, text)
    return load_directory(tmp_path)[1]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# --------------------------------------------------------------------------- parsing


def test_parse_good_entry() -> None:
    entry = parse_entry(GOOD, "x.md")
    assert entry.slug == "n-plus-one-queries"
    assert entry.title == "N+1 queries"
    assert entry.category == "concept"
    assert entry.aliases == (
        "n+1",
        "n plus one",
        "n+1 problem",
        "select_related vs prefetch_related",
    )
    assert entry.tags == ("django", "orm", "performance")
    assert entry.related == ("django-orm",)
    assert entry.sources == ("seed-000", "seed-003")
    assert entry.body == "Body with **Markdown**.\n\nMore body."


def test_parse_optional_lists_default_to_empty_and_crlf() -> None:
    text = "---\r\nslug: a\r\ntitle: A\r\ncategory: tool\r\nsummary: S.\r\n---\r\n\r\nBody\r\n"
    entry = parse_entry(text, "a.md")
    assert entry.aliases == entry.tags == entry.related == entry.sources == ()
    assert entry.body == "Body"


def test_parse_block_lists_and_bom() -> None:
    text = (
        "\ufeff---\nslug: a\ntitle: A\ncategory: tool\nsummary: S.\naliases:\n  - x\n  - y\n---\n"
    )
    entry = parse_entry(text, "a.md")
    assert entry.aliases == ("x", "y")
    assert entry.body == ""


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("no front matter\n", 1, "must start"),
        ("---\nslug: a\ntitle: A\n", 1, "not closed"),
        ("---\nslug: a\ntitle: [unclosed\ncategory: tool\n---\n", 4, "invalid YAML"),
        ("---\n- a\n- b\n---\n", 2, "mapping"),
        ("---\n---\nbody\n", 1, "mapping"),
        ("---\nslug: a\ntitle: A\ncategory: tool\nsummary: S\ncolour: red\n---\n", 6, "unknown"),
        ("---\nslug: a\ntitle: A\ncategory: tool\n---\n", 1, "missing required field 'summary'"),
        ("---\nslug: a\ntitle: 2024\ncategory: tool\nsummary: S\n---\n", 3, "string"),
        ("---\nslug: a\ntitle: A\ncategory: tool\nsummary: S\ntags: web\n---\n", 6, "list"),
        (
            "---\nslug: a\ntitle: A\ncategory: tool\nsummary: S\naliases:\n  - ok\n  - yes\n---\n",
            8,
            "items must be strings",
        ),
        ("---\nslug: a\ntitle: A\ncategory: tool\nsummary: S\nslug: b\n---\n", 6, "duplicate key"),
    ],
)
def test_parse_errors_have_line_numbers(text: str, line: int, fragment: str) -> None:
    with pytest.raises(ContentError) as info:
        parse_entry(text, "p.md")
    assert info.value.line == line, str(info.value)
    assert info.value.path == "p.md"
    assert fragment in info.value.message
    assert str(info.value).startswith(f"p.md:{line}: ")


def test_problem_str() -> None:
    assert str(Problem("content/x.md", 3, "bad")) == "content/x.md:3: bad"


# --------------------------------------------------------------------------- dumping


def test_dump_is_canonical_and_round_trips() -> None:
    entry = parse_entry(GOOD, "x.md")
    text = dump_entry(entry)
    assert text.startswith("---\nslug: n-plus-one-queries\ntitle: N+1 queries\ncategory: concept\n")
    assert "aliases: [n+1, n plus one, n+1 problem, select_related vs prefetch_related]\n" in text
    assert parse_entry(text, "x.md") == entry
    assert dump_entry(parse_entry(text, "x.md")) == text


def test_dump_quotes_tricky_values() -> None:
    entry = make(
        title="yes: a # title, [with] {symbols} & 'quotes' \"too\"",
        aliases=("no", "on", "123", "null", "- dash", "café", "a: b", ""),
        summary="Line one.\nLine two: with colon  ",
        tags=(),
        related=(),
        body="# Heading\n\n---\n\nnot front matter",
    )
    assert parse_entry(dump_entry(entry), "x.md") == entry


def test_dump_of_hand_written_file_is_a_fixed_point() -> None:
    text = (
        "---\nsummary: S.\ncategory: tool\n# a comment\nslug: a\ntitle: A\n"
        "aliases:\n  - x\n  - 'y'\n---\n\n\nBody  \n\n"
    )
    once = dump_entry(parse_entry(text, "a.md"))
    assert once != text
    assert dump_entry(parse_entry(once, "a.md")) == once
    assert parse_entry(once, "a.md") == parse_entry(text, "a.md")


def test_content_hash_is_stable_and_sensitive() -> None:
    entry = make()
    assert entry.content_hash == make().content_hash
    assert len(entry.content_hash) == 64
    assert make(body=entry.body + "!").content_hash != entry.content_hash
    assert make(aliases=("a", "b")).content_hash != make(aliases=("ab",)).content_hash
    # Pinned: the database stores this hash, so it must not change between releases.
    assert entry.content_hash == "d5dd5ed8a61db1adc6f33392c672dbd241591b17fef3299e7d7e3afd20bbee66"


# --------------------------------------------------------------------------- validation


def test_valid_directory_has_no_problems(tmp_path: Path) -> None:
    write(tmp_path, "concept", "n-plus-one-queries", GOOD)
    write(tmp_path, "concept", "django-orm", ORM)
    write(tmp_path, "challenge", "slow-api", CHALLENGE)
    (tmp_path / "program").mkdir()
    (tmp_path / "program" / "timeline.yaml").write_text("weeks: [1, 2]\n")
    (tmp_path / "README.md").write_text("not an entry\n")
    entries, problems = load_directory(tmp_path)
    assert problems == []
    assert sorted(e.slug for e in entries) == ["django-orm", "n-plus-one-queries", "slow-api"]


def test_unparsable_file_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "concept", "django-orm", ORM)
    path = write(tmp_path, "concept", "broken", "---\nslug: broken\ntitle: [x\n---\n")
    entries, problems = load_directory(tmp_path)
    assert [e.slug for e in entries] == ["django-orm"]
    problem = only(problems)
    assert problem.path == str(path)
    assert problem.line == 3


def test_invalid_utf8_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "tool").mkdir()
    (tmp_path / "tool" / "x.md").write_bytes(b"---\nslug: x\xff\n---\n")
    assert "UTF-8" in only(load_directory(tmp_path)[1]).message


def replace_line(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


ORM_FILE = ("concept", "django-orm", ORM)


@pytest.mark.parametrize(
    ("category", "slug", "text", "line", "fragment"),
    [
        (
            "concept",
            "Bad_Slug",
            replace_line(GOOD, "slug: n-plus-one-queries", "slug: Bad_Slug"),
            2,
            "kebab-case",
        ),
        ("concept", "other-name", GOOD, 2, "file name"),
        ("practice", "n-plus-one-queries", GOOD, 4, "folder"),
        (
            "nonsense",
            "n-plus-one-queries",
            replace_line(GOOD, "category: concept", "category: nonsense"),
            4,
            "unknown category",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(GOOD, "title: N+1 queries", "title: " + "T" * 101),
            3,
            "title is 101",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(GOOD, "title: N+1 queries", "title: '  '"),
            3,
            "title is empty",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(
                GOOD, "summary: One query per row instead of one query in total.", "summary: ''"
            ),
            7,
            "summary is empty",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(
                GOOD,
                "summary: One query per row instead of one query in total.",
                "summary: " + "s" * 301,
            ),
            7,
            "summary is 301",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(GOOD, "Body with **Markdown**.", "x" * 3501),
            11,
            "body is",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(GOOD, "aliases: [n+1,", "aliases: [" + "a" * 101 + ","),
            5,
            "101 characters",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(GOOD, "aliases: [n+1,", "aliases: [N+1, n+1,"),
            5,
            "repeats a name of the entry",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(GOOD, "aliases: [n+1,", "aliases: ['!!',"),
            5,
            "no letters",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(GOOD, "tags: [django,", "tags: [Django,"),
            6,
            "lowercase",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(GOOD, "related: [django-orm]", "related: [django-orm, ghost]"),
            8,
            "'ghost' does not exist",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(
                GOOD, "related: [django-orm]", "related: [django-orm, n-plus-one-queries]"
            ),
            8,
            "itself",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(GOOD, "sources: [seed-000,", "sources: [wikipedia,"),
            9,
            "seed-000",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(GOOD, "aliases: [n+1,", "aliases: [ORM,"),
            5,
            "collides with a name of django-orm",
        ),
        (
            "concept",
            "n-plus-one-queries",
            replace_line(GOOD, "aliases: [n+1,", "aliases: [Django-ORM!,"),
            5,
            "collides",
        ),
    ],
)
def test_rule_violations(
    tmp_path: Path, category: str, slug: str, text: str, line: int, fragment: str
) -> None:
    problems = problems_for(tmp_path, ORM_FILE, (category, slug, text))
    problem = only([p for p in problems if "django-orm" not in p.path])
    assert problem.line == line, str(problem)
    assert fragment in problem.message, str(problem)
    assert problem.path.endswith(f"{category}/{slug}.md")


def test_too_many_related(tmp_path: Path) -> None:
    files = [ORM_FILE]
    slugs = [f"e{i}" for i in range(6)]
    for s in slugs:
        files.append(
            ("tool", s, f"---\nslug: {s}\ntitle: E {s}\ncategory: tool\nsummary: S\n---\n")
        )
    text = replace_line(GOOD, "related: [django-orm]", f"related: [{', '.join(slugs)}]")
    files.append(("concept", "n-plus-one-queries", text))
    problem = only(problems_for(tmp_path, *files))
    assert problem.line == 8
    assert problem.message.startswith("6 related entries")


def test_duplicate_slug(tmp_path: Path) -> None:
    write(tmp_path, "concept", "django-orm", ORM)
    moved = replace_line(ORM, "category: concept", "category: tool")
    write(tmp_path, "tool", "django-orm", moved)
    problem = only(load_directory(tmp_path)[1])
    assert problem.line == 2
    assert "duplicate slug 'django-orm'" in problem.message


def test_challenge_sections(tmp_path: Path) -> None:
    text = replace_line(CHALLENGE, "## Outcome\nFast.\n", "## Results\nFast.\n")
    problem = only(problems_for(tmp_path, ("challenge", "slow-api", text)))
    assert problem.line == 11  # first body line
    assert "missing: Outcome" in problem.message
    swapped = CHALLENGE.replace("## Problem", "## Tmp").replace("## Solution", "## Problem")
    swapped = swapped.replace("## Tmp", "## Solution")
    problem = only(problems_for(tmp_path, ("challenge", "slow-api", swapped)))
    assert "order" in problem.message


def test_challenge_heading_in_code_fence_does_not_count(tmp_path: Path) -> None:
    text = replace_line(CHALLENGE, "## Outcome\nFast.\n", "```\n## Outcome\n```\n")
    assert (
        "missing: Outcome" in only(problems_for(tmp_path, ("challenge", "slow-api", text))).message
    )


def test_validate_accepts_entries_without_files() -> None:
    entry = make(related=())
    assert validate([(entry, "db:n-plus-one-queries")]) == []
    bad = make(related=(), title="")
    problem = only(validate([(bad, "db:n-plus-one-queries")]))
    assert (problem.line, problem.path) == (1, "db:n-plus-one-queries")


def test_validate_reads_line_numbers_from_existing_files(tmp_path: Path) -> None:
    path = write(tmp_path, "concept", "n-plus-one-queries", GOOD)
    entry = parse_entry(GOOD, str(path))
    problem = only(validate([(entry, path)]))  # related django-orm is unknown here
    assert problem.line == 8


def test_validate_catches_wrong_types() -> None:
    entry = make(aliases=["a"], related=())  # a list, not a tuple
    problem = only(validate([(entry, "db:x")]))
    assert "tuple of strings" in problem.message


# --------------------------------------------------------------------------- real content


def content_files() -> list[Path]:
    return sorted(CONTENT.glob("*/*.md"))


def test_categories_are_the_content_folders() -> None:
    assert CATEGORIES == (
        "technology",
        "concept",
        "challenge",
        "practice",
        "program",
        "tool",
        "resource",
    )


@pytest.mark.parametrize("path", content_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_real_file_round_trips(path: Path) -> None:
    entry = parse_entry(path.read_text(encoding="utf-8"), str(path))
    dumped = dump_entry(entry)
    assert parse_entry(dumped, str(path)) == entry
    assert dump_entry(parse_entry(dumped, str(path))) == dumped


def test_real_content_validates() -> None:
    entries, problems = load_directory(CONTENT)
    assert entries, "content/ has no entries"
    assert problems == [], "\n" + "\n".join(str(p) for p in problems)
