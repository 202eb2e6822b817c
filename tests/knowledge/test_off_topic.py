"""The off-topic examples (`content/off_topic.yaml`): read, checked, reported by validate."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.cli import check_content
from bot.knowledge.off_topic import check_off_topic, load_off_topic
from bot.knowledge.relevance import load_cases
from bot.knowledge.text import MAX_QUERY_CHARS, STOP_WORDS, tokenize

CONTENT = Path(__file__).resolve().parents[2] / "content"
RELEVANCE = Path(__file__).resolve().parent / "relevance"


def test_the_real_examples_are_valid_and_many() -> None:
    examples, problems = load_off_topic(CONTENT)
    assert problems == [] and len(examples) >= 300


def test_a_missing_or_empty_file_means_no_examples(tmp_path: Path) -> None:
    assert load_off_topic(tmp_path) == ((), [])
    (tmp_path / "off_topic.yaml").write_text("# nothing yet\n", encoding="utf-8")
    assert load_off_topic(tmp_path) == ((), [])


def test_malformed_examples_are_reported() -> None:
    assert check_off_topic({"questions": []}) == ["must be a list of questions"]
    too_long = "x" * (MAX_QUERY_CHARS + 1)
    problems = check_off_topic(["hi there", 3, "  ", too_long, " Hi  there", "hi there!"])
    assert problems == [
        "question 2 must be non-empty text",
        "question 3 must be non-empty text",
        f"question 4 is longer than {MAX_QUERY_CHARS} characters",
        "question 5 repeats ' Hi  there'",
    ]


def test_a_broken_file_is_left_out_and_validate_reports_it(tmp_path: Path) -> None:
    path = tmp_path / "off_topic.yaml"
    path.write_text("- [unclosed\n", encoding="utf-8")
    examples, problems = load_off_topic(tmp_path)
    assert examples == () and problems[0].startswith("cannot read")
    path.write_text('- "nice weather"\n- 42\n', encoding="utf-8")
    check = check_content(tmp_path)
    assert [(p.path, p.message) for p in check.problems] == [
        (str(path), "question 2 must be non-empty text")
    ]


def content_words(question: str) -> set[str]:
    return {token for token in tokenize(question) if token not in STOP_WORDS}


def test_no_example_copies_a_question_the_relevance_sets_judge_by() -> None:
    """Examples that (nearly) repeat a measured question would inflate its set's off-topic
    rate: at most 3 of 4 content words shared with any of them."""
    examples, _ = load_off_topic(CONTENT)
    measured = [content_words(case.query) for case in load_cases(sorted(RELEVANCE.rglob("*.yaml")))]
    copies = [
        example
        for example in examples
        if any(
            (words := content_words(example)) and len(words & m) >= 0.75 * len(words | m)
            for m in measured
        )
    ]
    assert copies == []  # printed only when it fails: drop them from the examples, not the sets
