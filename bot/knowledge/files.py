"""Reading, validating and writing knowledge entry files (`content/<category>/<slug>.md`).

The format is described in `docs/CONTENT_FORMAT.md`: YAML front matter between two `---` lines,
then a Markdown body. Everything here is pure except `load_directory` (and `validate`, which
reads a file only to point line numbers at its front-matter keys).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.entry import CATEGORIES, FIELD_ORDER, Entry
from bot.knowledge.text import normalize

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SOURCE_PATTERN = re.compile(r"^seed-\d{3}$")
MAX_SLUG = 64
MAX_TITLE = 100
MAX_SUMMARY = 300
MAX_BODY = 3500
MAX_ALIAS = 100
MAX_TAG = 40
MAX_RELATED = 5
MAX_QUESTION = 100
MAX_QUESTIONS = 16
"""Learner questions per entry: content files carry 3-8; the gap inbox adds more."""
CHALLENGE_SECTIONS: tuple[str, ...] = ("Problem", "Solution", "Outcome")

REQUIRED_FIELDS: tuple[str, ...] = ("slug", "title", "category", "summary")
LIST_FIELDS: tuple[str, ...] = (
    "aliases",
    "misspellings",
    "tags",
    "questions",
    "related",
    "sources",
)
_STRING_FIELDS: tuple[str, ...] = ("slug", "title", "category", "summary")

_FENCE = re.compile(r"^---[ \t]*$")
_HEADING = re.compile(r"^##[ \t]+(.+?)[ \t]*#*[ \t]*$")
BODY_KEY = "<body>"
"""Pseudo key whose line number is the first line of the body."""


class ContentError(Exception):
    """A file that cannot be turned into an `Entry` at all (bad front matter or schema)."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One validation finding, pointing at a file and line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


# --------------------------------------------------------------------------- parsing


def _split(text: str, path: str) -> tuple[str, str, int]:
    """Return (front matter, body, line number of the first body line)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or not _FENCE.match(lines[0]):
        raise ContentError(path, 1, "file must start with a '---' front-matter line")
    for index in range(1, len(lines)):
        if _FENCE.match(lines[index]):
            front = "\n".join(lines[1:index])
            body_lines = lines[index + 1 :]
            skipped = 0
            while skipped < len(body_lines) - 1 and not body_lines[skipped].strip():
                skipped += 1
            body = "\n".join(body_lines[skipped:]).rstrip()
            return front, body, index + 2 + skipped
    raise ContentError(path, 1, "front matter is not closed by a '---' line")


def _key_lines(node: yaml.Node) -> dict[str, int]:
    """Map each top-level key to its 1-based line within the front matter."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                lines.setdefault(str(key_node.value), key_node.start_mark.line + 1)
    return lines


# libyaml's loader when PyYAML has it (the wheels do): about 3x faster for the whole import.
# Errors are re-parsed with the pure-Python loader, whose error positions are more precise.
FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> tuple[Any, str | None]:
    """A content YAML file's data (None when absent) and why it could not be read, if so."""
    if not path.is_file():
        return None, None
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=FAST_LOADER), None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, f"cannot read: {exc}"


def _compose(
    front: str, path: str
) -> tuple[Any, dict[str, int], dict[str, list[int]], list[ContentError]]:
    """Parse YAML front matter; return (data, key lines, list item lines, duplicate keys),
    lines 1-based. Raise `ContentError` when it is not YAML."""
    try:
        return _compose_with(FAST_LOADER, front, path)
    except ContentError:
        if FAST_LOADER is yaml.SafeLoader:
            raise
        return _compose_with(yaml.SafeLoader, front, path)


def _compose_with(
    loader_class: type[yaml.SafeLoader], front: str, path: str
) -> tuple[Any, dict[str, int], dict[str, list[int]], list[ContentError]]:
    loader = loader_class(front)
    duplicates: list[ContentError] = []
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, {}, []
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, _ in node.value:
                key = str(key_node.value)
                if key in seen:
                    line = key_node.start_mark.line + 2
                    duplicates.append(ContentError(path, line, f"duplicate key {key!r}"))
                seen.add(key)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else 1
        raise ContentError(path, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ContentError(path, 1, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    key_lines = {k: v + 1 for k, v in _key_lines(node).items()}
    item_lines: dict[str, list[int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(value_node, yaml.SequenceNode):
                item_lines[str(key_node.value)] = [
                    item.start_mark.line + 2 for item in value_node.value
                ]
    return data, key_lines, item_lines, duplicates


@dataclass(frozen=True)
class _Read:
    """What could be read of one file.

    `errors` are schema errors, in file order. `entry` is None when the front matter is not a
    YAML mapping; otherwise it is the entry, with placeholders (the file's name and folder, empty
    strings and lists) for the `broken` fields: missing ones or ones of the wrong type. `body`
    is None only when the front matter is not closed.
    """

    entry: Entry | None
    lines: dict[str, int]
    errors: tuple[ContentError, ...]
    broken: frozenset[str]
    body: str | None


def _read(text: str, path: str) -> _Read:
    """Read one entry file, collecting every schema error instead of stopping at the first."""
    try:
        front, body, body_line = _split(text, path)
    except ContentError as error:
        return _Read(None, {}, (error,), frozenset(), None)
    body_lines = {BODY_KEY: body_line}
    try:
        data, key_lines, item_lines, errors = _compose(front, path)
    except ContentError as error:
        return _Read(None, body_lines, (error,), frozenset(), body)
    if not isinstance(data, dict):
        problem = ContentError(
            path, 2 if front.strip() else 1, "front matter must be a YAML mapping"
        )
        return _Read(None, body_lines, (problem,), frozenset(), body)

    def line_of(key: str) -> int:
        return key_lines.get(key, 1)

    broken: set[str] = set()
    for key in data:
        if not isinstance(key, str) or key not in FIELD_ORDER:
            expected = ", ".join(FIELD_ORDER)
            errors.append(
                ContentError(
                    path, line_of(str(key)), f"unknown field {key!r} (expected: {expected})"
                )
            )
    for key in REQUIRED_FIELDS:
        if key not in data:
            errors.append(ContentError(path, 1, f"missing required field {key!r}"))
            broken.add(key)
    strings: dict[str, str] = {}
    for key in _STRING_FIELDS:
        value = data.get(key)
        if isinstance(value, str):
            strings[key] = value
            continue
        if key in data:
            errors.append(
                ContentError(
                    path,
                    line_of(key),
                    f"{key!r} must be a string, got {type(value).__name__} {value!r} (quote it)",
                )
            )
            broken.add(key)
        file = Path(path)
        strings[key] = {"slug": file.stem, "category": file.parent.name}.get(key, "")
    lists: dict[str, tuple[str, ...]] = {}
    for key in LIST_FIELDS:
        value = data.get(key)
        if value is None:
            value = []
        if not isinstance(value, list):
            errors.append(ContentError(path, line_of(key), f"{key!r} must be a list of strings"))
            broken.add(key)
            value = []
        lines = item_lines.get(key, [])
        for index, item in enumerate(value):
            if not isinstance(item, str):
                errors.append(
                    ContentError(
                        path,
                        lines[index] if index < len(lines) else line_of(key),
                        f"{key!r} items must be strings, got {type(item).__name__} {item!r} "
                        "(quote it)",
                    )
                )
                broken.add(key)
        lists[key] = tuple(item for item in value if isinstance(item, str))
    key_lines.update(body_lines)
    entry = Entry(
        slug=strings["slug"],
        title=strings["title"],
        category=strings["category"],
        aliases=lists["aliases"],
        tags=lists["tags"],
        summary=strings["summary"],
        related=lists["related"],
        sources=lists["sources"],
        body=body,
        misspellings=lists["misspellings"],
        questions=lists["questions"],
    )
    errors.sort(key=lambda error: error.line)
    return _Read(entry, key_lines, tuple(errors), frozenset(broken), body)


def _parse(text: str, path: str) -> tuple[Entry, dict[str, int]]:
    read = _read(text, path)
    if read.errors:
        raise read.errors[0]
    assert read.entry is not None
    return read.entry, read.lines


def parse_entry(text: str, path: str) -> Entry:
    """Parse one entry file; raise `ContentError` (with the offending line) on a schema error:
    the first one in the file (`load_directory` reports them all).

    Only structure and types are checked here; the content rules live in `validate`.
    The body is stripped of leading blank lines and trailing whitespace.
    """
    return _parse(text, path)[0]


def key_lines(text: str) -> dict[str, int]:
    """Return the 1-based file line of each front-matter key of `text` ({} if unparsable)."""
    try:
        return _parse(text, "<text>")[1]
    except ContentError:
        return {}


# --------------------------------------------------------------------------- dumping


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]  # yaml is untyped here (no types-PyYAML)
    """Safe dumper that never emits aliases/anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_entry(entry: Entry) -> str:
    """Serialize `entry` in the file format, keys in canonical order.

    `parse_entry(dump_entry(e), path) == e` for every entry whose body has no leading blank
    lines or trailing whitespace (which is what `parse_entry` produces).
    """
    data = entry.to_dict()
    body = data.pop("body")
    front = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=None,
        allow_unicode=True,
        width=float("inf"),
    )
    text = f"---\n{front}---\n"
    if body:
        text += f"{body}\n"
    return text


# --------------------------------------------------------------------------- validation


def _headings(body: str) -> list[str]:
    found: list[str] = []
    in_fence = False
    for line in body.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        match = _HEADING.match(line)
        if match and not in_fence:
            found.append(match.group(1).strip())
    return found


def check_entry(entry: Entry, path: str, lines: Mapping[str, int] | None = None) -> list[Problem]:
    """Check the rules that concern one entry alone (types, patterns, Discord limits).

    `lines` maps front-matter keys (and `BODY_KEY`) to line numbers; missing keys give line 1.
    """
    return [problem for _, problem in _check_entry(entry, path, lines or {})]


def _check_entry(entry: Entry, path: str, lines: Mapping[str, int]) -> list[tuple[str, Problem]]:
    """`check_entry`, each problem with the key it concerns."""
    problems: list[tuple[str, Problem]] = []

    def add(key: str, message: str) -> None:
        problems.append((key, Problem(path, lines.get(key, 1), message)))

    for key in _STRING_FIELDS:
        if not isinstance(getattr(entry, key), str):
            add(key, f"{key!r} must be a string")
    for key in LIST_FIELDS:
        value = getattr(entry, key)
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            add(key, f"{key!r} must be a tuple of strings")
    if not isinstance(entry.body, str):
        add(BODY_KEY, "body must be a string")
    if problems:
        return problems

    slug = entry.slug
    if not SLUG_PATTERN.match(slug):
        add("slug", f"slug {slug!r} must be lowercase kebab-case ([a-z0-9] words joined by '-')")
    if len(slug) > MAX_SLUG:
        add("slug", f"slug is {len(slug)} characters (max {MAX_SLUG})")
    file = Path(path)
    if file.suffix == ".md":
        if file.stem != slug:
            add("slug", f"slug {slug!r} does not match the file name {file.name!r}")
        if file.parent.name and file.parent.name != entry.category:
            add(
                "category",
                f"category {entry.category!r} does not match the folder {file.parent.name!r}",
            )
    if entry.category not in CATEGORIES:
        add("category", f"unknown category {entry.category!r} (one of {', '.join(CATEGORIES)})")

    title = entry.title
    if not title.strip():
        add("title", "title is empty")
    if len(title) > MAX_TITLE:
        add("title", f"title is {len(title)} characters (max {MAX_TITLE}: it is a button label)")
    if "\n" in title:
        add("title", "title must be one line")

    summary = entry.summary.strip()
    if not summary:
        add("summary", "summary is empty")
    if len(entry.summary) > MAX_SUMMARY:
        add("summary", f"summary is {len(entry.summary)} characters (max {MAX_SUMMARY})")

    if len(entry.body) > MAX_BODY:
        add(BODY_KEY, f"body is {len(entry.body)} characters (max {MAX_BODY})")
    if entry.category == "challenge":
        headings = _headings(entry.body)
        missing = [s for s in CHALLENGE_SECTIONS if s not in headings]
        if missing:
            add(
                BODY_KEY,
                "challenge body needs the sections "
                + ", ".join(f"'## {s}'" for s in CHALLENGE_SECTIONS)
                + f" (missing: {', '.join(missing)})",
            )
        else:
            positions = [headings.index(s) for s in CHALLENGE_SECTIONS]
            if positions != sorted(positions):
                add(BODY_KEY, "challenge sections must be in the order Problem, Solution, Outcome")

    seen_names: set[str] = {normalize(title), normalize(slug.replace("-", " "))}
    for field, kind in (("aliases", "alias"), ("misspellings", "misspelling")):
        for name in getattr(entry, field):
            if len(name) > MAX_ALIAS:
                add(field, f"{kind} {name[:30]!r}... is {len(name)} characters (max {MAX_ALIAS})")
            key = normalize(name)
            if not key:
                add(field, f"{kind} {name!r} has no letters or digits")
            elif key in seen_names:
                add(field, f"{kind} {name!r} repeats a name of the entry")
            seen_names.add(key)

    if len(entry.questions) > MAX_QUESTIONS:
        add("questions", f"{len(entry.questions)} questions (max {MAX_QUESTIONS})")
    seen_questions: set[str] = set()
    for question in entry.questions:
        if len(question) > MAX_QUESTION:
            add(
                "questions",
                f"question {question[:30]!r}... is {len(question)} characters (max {MAX_QUESTION})",
            )
        key = normalize(question)
        if not key:
            add("questions", f"question {question!r} has no letters or digits")
        elif key in seen_questions:
            add("questions", f"question {question!r} is listed twice")
        seen_questions.add(key)

    for tag in entry.tags:
        if not tag.strip() or len(tag) > MAX_TAG or tag != tag.lower():
            add("tags", f"tag {tag!r} must be a short lowercase word (max {MAX_TAG} characters)")
    if len(set(entry.tags)) != len(entry.tags):
        add("tags", "a tag is listed twice")

    if len(entry.related) > MAX_RELATED:
        add("related", f"{len(entry.related)} related entries (max {MAX_RELATED})")
    if slug in entry.related:
        add("related", "an entry must not be related to itself")
    if len(set(entry.related)) != len(entry.related):
        add("related", "a related slug is listed twice")

    for source in entry.sources:
        if not SOURCE_PATTERN.match(source):
            add("sources", f"source {source!r} must look like 'seed-000'")
    return problems


def _read_lines(path: str) -> dict[str, int]:
    file = Path(path)
    try:
        if file.is_file():
            return key_lines(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        pass
    return {}


def validate(
    entries_with_paths: Iterable[tuple[Entry, str | Path]],
    lines: Mapping[str, Mapping[str, int]] | None = None,
) -> list[Problem]:
    """Check every rule of the content format over a whole collection of entries.

    `entries_with_paths` holds `(entry, path)` pairs; the path is the file the entry came from
    (or any label, e.g. `db:<slug>`, for entries that have no file: then the file-name and
    folder checks are skipped). `lines` optionally maps a path to its key line numbers (see
    `key_lines`); otherwise an existing file is read to find them. Problems are sorted by path
    and line.
    """
    items = [(entry, str(path)) for entry, path in entries_with_paths]
    line_maps: dict[str, Mapping[str, int]] = {}
    for _, path in items:
        if lines is not None and path in lines:
            line_maps[path] = lines[path]
        elif path not in line_maps:
            line_maps[path] = _read_lines(path)

    problems: list[Problem] = []
    for entry, path in items:
        problems.extend(check_entry(entry, path, line_maps[path]))

    def line(path: str, key: str) -> int:
        return line_maps[path].get(key, 1)

    by_slug: dict[str, str] = {}
    for entry, path in items:
        if entry.slug in by_slug:
            problems.append(
                Problem(
                    path,
                    line(path, "slug"),
                    f"duplicate slug {entry.slug!r} (also in {by_slug[entry.slug]})",
                )
            )
        else:
            by_slug[entry.slug] = path

    for entry, path in items:
        for slug in entry.related:
            if slug not in by_slug:
                problems.append(
                    Problem(path, line(path, "related"), f"related slug {slug!r} does not exist")
                )

    # Names: an alias or misspelling must not equal (after normalization) a name of another entry.
    owners: dict[str, set[str]] = {}
    for entry, _ in items:
        for name in (entry.slug, entry.title, *entry.aliases, *entry.misspellings):
            key = normalize(name)
            if key:
                owners.setdefault(key, set()).add(entry.slug)
    for entry, path in items:
        for field, kind in (("aliases", "alias"), ("misspellings", "misspelling")):
            for name in getattr(entry, field):
                others = sorted(owners.get(normalize(name), set()) - {entry.slug})
                if others:
                    problems.append(
                        Problem(
                            path,
                            line(path, field),
                            f"{kind} {name!r} collides with a name of {', '.join(others)}",
                        )
                    )
    problems.sort(key=lambda p: (p.path, p.line))
    return problems


# --------------------------------------------------------------------------- content truth
# Rules `content validate` adds (`load_directory(..., strict=True)`): the code learners copy
# runs, and what an entry says about the program names the seed documents it comes from.
# Moderators' edits in Discord are not held to them (sources cannot be edited there).

PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "py3"})
"""Info strings of a fenced block that `ast.parse` must accept."""

_CODE_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block of a Markdown body."""

    language: str
    """The first word of the info string, lowercased ('' for none)."""
    line: int
    """0-based line of the opening fence within the body."""
    end: int
    """0-based line of the closing fence (the body's line count when the block is unclosed)."""
    code: str


def code_blocks(body: str) -> list[CodeBlock]:
    """The fenced code blocks of `body` (``` or ~~~, any indentation); an unclosed block runs
    to the end, as in Markdown. The fence's indentation is removed from the code's lines."""
    blocks: list[CodeBlock] = []
    lines = body.split("\n")
    index = 0
    while index < len(lines):
        opening = _CODE_FENCE.match(lines[index])
        if opening is None or (opening["fence"][0] == "`" and "`" in opening["info"]):
            index += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"].expandtabs(4))
        words = opening["info"].split()
        code: list[str] = []
        end = index + 1
        while end < len(lines):
            stripped = lines[end].strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                break
            line = lines[end]
            spaces = len(line) - len(line.lstrip(" "))
            code.append(line[min(spaces, indent) :])
            end += 1
        language = words[0].lower() if words else ""
        blocks.append(CodeBlock(language, index, end, "\n".join(code)))
        index = end + 1
    return blocks


def python_problems(body: str, path: str, body_line: int = 1) -> list[Problem]:
    """A problem for each ```python (or ```py) block of `body` that `ast.parse` refuses.

    `body_line` is the file line of the body's first line. A deliberate fragment is marked as
    another language (```text) and is not checked.
    """
    problems = []
    for block in code_blocks(body):
        if block.language not in PYTHON_LANGUAGES:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning: invalid escapes and the like
                ast.parse(block.code)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            fence_line = body_line + block.line
            where = ""
            if isinstance(error, SyntaxError) and error.lineno:
                text = (error.text or "").strip()
                where = f" at line {fence_line + error.lineno}" + (
                    f" ({text[:60]!r})" if text else ""
                )
            message = error.msg if isinstance(error, SyntaxError) else str(error)
            problems.append(
                Problem(
                    path,
                    fence_line,
                    f"```{block.language} block does not parse: {message}{where}; fix it, or "
                    "mark a deliberate fragment as another language (```text)",
                )
            )
    return problems


PROGRAM_FACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Project Nexus", re.compile(r"\bproject[\s-]*nexus\b", re.IGNORECASE)),
    ("a milestone number", re.compile(r"\bmilestones?[\s-]*#?\d+\b", re.IGNORECASE)),
    ("a program month", re.compile(r"\bmonths?[\s-]*[1-4]\b", re.IGNORECASE)),
    ("the mentors", re.compile(r"\bmentors?\b", re.IGNORECASE)),
    ("graduation", re.compile(r"\bgraduat(?:e|es|ed|ing|ion)\b", re.IGNORECASE)),
    (
        "the review rules",
        re.compile(r"\b(?:rubrics?|scoring|review\s+(?:period|window))\b", re.IGNORECASE),
    ),
    ("a program year", re.compile(r"\b202[5-9]\b")),
)
"""What marks a statement about the program: the phrases an entry needs `sources` for."""


def _prose(body: str) -> list[tuple[int, str]]:
    """The body's lines outside fenced code blocks, with their 0-based line numbers."""
    code: set[int] = set()
    for block in code_blocks(body):
        code.update(range(block.line, block.end + 1))
    return [(number, line) for number, line in enumerate(body.split("\n")) if number not in code]


def program_fact(entry: Entry, lines: Mapping[str, int] | None = None) -> tuple[str, int] | None:
    """Why `entry` states program facts, and the line that shows it; None when it does not.

    An entry states program facts when its category is `program`, or when its title, aliases,
    summary or body (outside code blocks) names Project Nexus, a milestone number ("Milestone
    3"), a program month ("Month 1" to "Month 4"), the mentors, graduation, the review rules
    ("rubric", "scoring", "review period" or "review window") or a year from 2025 to 2029.
    Questions, misspellings and tags are search words, not statements, and are not read.
    """
    lines = lines or {}
    if entry.category == "program":
        return "its category is program", lines.get("category", 1)
    texts = [
        (lines.get("title", 1), entry.title),
        *((lines.get("aliases", 1), alias) for alias in entry.aliases),
        (lines.get("summary", 1), entry.summary),
        *((lines.get(BODY_KEY, 1) + number, line) for number, line in _prose(entry.body)),
    ]
    for line, text in texts:
        for _, pattern in PROGRAM_FACTS:
            found = pattern.search(text)
            if found:
                return f"it mentions {found.group(0)!r}", line
    return None


def check_facts(entry: Entry, path: str, lines: Mapping[str, int] | None = None) -> list[Problem]:
    """The content-truth rules for one entry: its python blocks parse, and it names `sources`
    when it states program facts (`program_fact`)."""
    return [problem for _, problem in _check_facts(entry, path, lines or {})]


def _check_facts(entry: Entry, path: str, lines: Mapping[str, int]) -> list[tuple[str, Problem]]:
    problems = [
        (BODY_KEY, problem) for problem in python_problems(entry.body, path, lines.get(BODY_KEY, 1))
    ]
    fact = None if entry.sources else program_fact(entry, lines)
    if fact is not None:
        reason, line = fact
        problems.append(
            (
                "sources",
                Problem(
                    path,
                    lines.get("sources", line),
                    f"states program facts ({reason}, line {line}) but names no sources: list "
                    "the seed documents they come from, e.g. sources: [seed-001]",
                ),
            )
        )
    return problems


# --------------------------------------------------------------------------- directories


def load_directory(root: Path, *, strict: bool = False) -> tuple[list[Entry], list[Problem]]:
    """Read `root/<category>/*.md`, validate the lot, return (entries, problems).

    Other files (timeline YAML, READMEs at the root) are ignored. Files that cannot be parsed
    are reported as problems and left out; entries with rule violations are returned along
    with their problems, so callers must refuse to import when `problems` is not empty.
    Every problem of a file is reported, not only the first. With `strict`, the content-truth
    rules (`check_facts`) are checked too. Entries are sorted by path.
    """
    root = Path(root)
    entries: list[Entry] = []
    pairs: list[tuple[Entry, str]] = []
    line_maps: dict[str, dict[str, int]] = {}
    problems: list[Problem] = []
    for file in sorted(root.glob("*/*.md")):
        if not file.is_file():
            continue
        path = str(file)
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(path, 1, f"not valid UTF-8: {exc.reason}"))
            continue
        except OSError as exc:
            problems.append(Problem(path, 1, f"cannot read: {exc.strerror or exc}"))
            continue
        read = _read(text, path)
        problems.extend(Problem(e.path, e.line, e.message) for e in read.errors)
        if read.entry is None:
            if strict and read.body is not None:
                problems.extend(python_problems(read.body, path, read.lines[BODY_KEY]))
            continue
        if read.errors:
            # Left out, but the fields that could be read are checked as well.
            checks = _check_entry(read.entry, path, read.lines)
            if strict:
                checks += _check_facts(read.entry, path, read.lines)
            problems.extend(p for key, p in checks if key not in read.broken)
            continue
        entries.append(read.entry)
        pairs.append((read.entry, path))
        line_maps[path] = read.lines
    problems.extend(validate(pairs, line_maps))
    if strict:
        for entry, path in pairs:
            problems.extend(check_facts(entry, path, line_maps[path]))
    problems.sort(key=lambda p: (p.path, p.line))
    return entries, problems
