"""The concept vocabulary (`content/vocabulary.yaml`): learners' words for the entries' terms.

`groups`: each group lists words and phrases that mean the same thing when searching ("slow",
"latency", "performance"). A query that contains one member also looks for the others, at a
lower weight, so "people keep spamming my api" finds rate limiting.

`out_of_scope`: technologies and subjects the program does not cover ("android", "css",
"neural network"). A question naming one is mostly about something else, so every entry's score
for it is lowered (`search.py`), unless the phrase is an entry's name.

Phrases are matched on stemmed tokens, stop words included ("hand in", "log in").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.files import read_yaml
from bot.knowledge.text import STOP_WORDS, stem, tokenize

FILE_NAME = "vocabulary.yaml"
MAX_PHRASE_WORDS = 5
OUT_OF_SCOPE = -1
"""The `Match.group` of an out-of-scope phrase."""


@dataclass(frozen=True, slots=True)
class Match:
    """A vocabulary phrase found in a query: tokens `start:end` belong to `group` (or are
    `OUT_OF_SCOPE`)."""

    start: int
    end: int
    group: int


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in tokenize(phrase))


class Vocabulary:
    """Groups of equivalent search terms and out-of-scope phrases, matched greedily (longest
    phrase first)."""

    def __init__(
        self,
        groups: list[list[str]] | tuple[tuple[str, ...], ...] = (),
        out_of_scope: list[str] | tuple[str, ...] = (),
    ) -> None:
        self.groups: tuple[tuple[str, ...], ...] = tuple(tuple(g) for g in groups)
        self.out_of_scope: tuple[str, ...] = tuple(out_of_scope)
        self._phrases: dict[tuple[str, ...], int] = {}
        for phrase in self.out_of_scope:
            if key := _key(phrase):
                self._phrases[key] = OUT_OF_SCOPE
        self._stems: list[tuple[str, ...]] = []
        for number, group in enumerate(self.groups):
            stems: dict[str, None] = {}
            for member in group:
                key = _key(member)
                if key:
                    self._phrases.setdefault(key, number)
                    stems.update((s, None) for s in key if s not in STOP_WORDS)
            self._stems.append(tuple(stems))
        self._longest = max((len(k) for k in self._phrases), default=0)

    def __len__(self) -> int:
        return len(self.groups)

    def find(self, stems: list[str]) -> list[Match]:
        """Non-overlapping vocabulary phrases in a query's stemmed tokens, left to right."""
        found: list[Match] = []
        position = 0
        while position < len(stems):
            for size in range(min(self._longest, len(stems) - position), 0, -1):
                group = self._phrases.get(tuple(stems[position : position + size]))
                if group is not None:
                    found.append(Match(position, position + size, group))
                    position += size
                    break
            else:
                position += 1
        return found

    def stems(self, group: int) -> tuple[str, ...]:
        """The content stems of every member of `group`."""
        return self._stems[group]


def load_vocabulary(content_dir: Path) -> tuple[Vocabulary, list[str]]:
    """Read `content_dir/vocabulary.yaml`; return it and its problems (an empty vocabulary when
    the file is absent or has problems)."""
    data, unreadable = read_yaml(Path(content_dir) / FILE_NAME)
    if unreadable:
        return Vocabulary(), [unreadable]
    data = data or {}
    problems = check_vocabulary(data)
    if problems:
        return Vocabulary(), problems
    return Vocabulary(data.get("groups") or [], _phrases(data.get("out_of_scope")) or []), []


def _phrases(fields: object) -> list[str] | None:
    """The phrases of `out_of_scope` (lists of strings, one per field); None if malformed."""
    fields = fields or []
    if not isinstance(fields, list) or not all(isinstance(f, list) for f in fields):
        return None
    phrases = [phrase for field in fields for phrase in field]
    return phrases if all(isinstance(p, str) for p in phrases) else None


def check_vocabulary(data: object) -> list[str]:
    """Problems of a vocabulary document: a mapping with `groups` (a list of groups of 2+
    distinct phrases) and `out_of_scope` (a list of phrases in no group)."""
    if not isinstance(data, dict) or not set(data) <= {"groups", "out_of_scope"}:
        return ["must be a mapping with `groups` and `out_of_scope` lists"]
    groups, excluded = data.get("groups") or [], _phrases(data.get("out_of_scope"))
    if not isinstance(groups, list):
        return ["`groups` must be a list of groups (lists of words or phrases)"]
    if excluded is None:
        return ["`out_of_scope` must be a list of lists of words or phrases (one list per field)"]
    problems: list[str] = []
    owner: dict[tuple[str, ...], int] = {}
    for number, group in enumerate(groups, 1):
        where = f"group {number}"
        if not isinstance(group, list) or not all(isinstance(m, str) for m in group):
            problems.append(f"{where} must be a list of strings")
            continue
        if len(group) < 2:
            problems.append(f"{where} needs at least two members")
        for member in group:
            key = _key(member)
            problem = _phrase_problem(member, key)
            if problem:
                problems.append(f"{where}: {problem}")
            elif owner.get(key, number) != number:
                problems.append(f"{where}: {member!r} is also in group {owner[key]}")
            else:
                owner[key] = number
    for member in excluded:
        key = _key(member)
        problem = _phrase_problem(member, key)
        if problem:
            problems.append(f"out_of_scope: {problem}")
        elif key in owner:
            problems.append(f"out_of_scope: {member!r} is also in group {owner[key]}")
    return problems


def _phrase_problem(member: str, key: tuple[str, ...]) -> str | None:
    """What is wrong with a vocabulary phrase on its own, if anything."""
    if not key or all(s in STOP_WORDS for s in key):
        return f"{member!r} has no searchable word"
    if len(key) > MAX_PHRASE_WORDS:
        return f"{member!r} is longer than {MAX_PHRASE_WORDS} words"
    return None
