"""Examples of questions `/learn` must not answer (`content/off_topic.yaml`).

The semantic search (`semantic.py`) embeds them beside the entries: a question whose closest
example is at most `semantic.OFF_TOPIC_MARGIN` less similar than its closest entry text finds
nothing (`OFF_TOPIC_MARGIN_NO_WORDS` when no word of it supports an entry). They are labelled
training data, not rules: everyday life and other fields, chat, technology the program does not
cover, and above all words that name an entry in another sense ("celery soup", "the helm of a
boat", "bird migration"). The lexical search does not read them.
"""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.files import read_yaml
from bot.knowledge.text import MAX_QUERY_CHARS, clean

FILE_NAME = "off_topic.yaml"


def load_off_topic(content_dir: Path) -> tuple[tuple[str, ...], list[str]]:
    """The examples of `content_dir/off_topic.yaml` and its problems (none used when it has
    problems; none when it is absent)."""
    data, unreadable = read_yaml(Path(content_dir) / FILE_NAME)
    if unreadable:
        return (), [unreadable]
    problems = check_off_topic(data)
    return (() if problems else tuple(clean(question).strip() for question in data or ())), problems


def check_off_topic(data: object) -> list[str]:
    """Problems of the examples: a list of distinct questions (ignoring case and spacing), each
    as a learner could type it."""
    if data is None:
        return []
    if not isinstance(data, list):
        return ["must be a list of questions"]
    problems: list[str] = []
    seen: set[str] = set()
    for number, question in enumerate(data, 1):
        if not isinstance(question, str) or not clean(question).strip():
            problems.append(f"question {number} must be non-empty text")
        elif len(question) > MAX_QUERY_CHARS:
            problems.append(f"question {number} is longer than {MAX_QUERY_CHARS} characters")
        elif (key := " ".join(question.lower().split())) in seen:
            problems.append(f"question {number} repeats {question!r}")
        else:
            seen.add(key)
    return problems
