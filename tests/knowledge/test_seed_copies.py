"""Entries are written in the project's own words: no span of 12 or more consecutive words of
a seed document (`../shared/seeds/*.txt` next to the repository) stands in any file of
`content/`. Words are compared lowercased, punctuation ignored (as `/work/tools/spans.py`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
SEEDS = ROOT.parent / "shared" / "seeds"
SPAN = 12
"""The shortest run of a seed's words that counts as copied."""

WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lowercased words; punctuation and markup are ignored."""
    return WORD.findall(text.lower())


def seed_grams(seeds: dict[str, str], size: int = SPAN) -> dict[tuple[str, ...], str]:
    """Every run of `size` words of the seeds, with the seed it comes from."""
    grams: dict[tuple[str, ...], str] = {}
    for name, text in seeds.items():
        seed = words(text)
        for start in range(len(seed) - size + 1):
            grams.setdefault(tuple(seed[start : start + size]), name)
    return grams


def copied_spans(
    text: str, grams: dict[tuple[str, ...], str], size: int = SPAN
) -> list[tuple[int, str, str]]:
    """The longest runs of `text` made of seed runs: (word count, the words, the seed)."""
    found: list[tuple[int, str, str]] = []
    text_words = words(text)
    start = 0
    while start <= len(text_words) - size:
        seed = grams.get(tuple(text_words[start : start + size]))
        if seed is None:
            start += 1
            continue
        end = start + size
        while end < len(text_words) and tuple(text_words[end - size + 1 : end + 1]) in grams:
            end += 1
        found.append((end - start, " ".join(text_words[start:end]), seed))
        start = end
    return found


def test_spans_are_found_whatever_the_case_and_punctuation() -> None:
    seed = "One two three four five six seven eight nine ten eleven twelve thirteen."
    grams = seed_grams({"seed-000": seed})
    copied = "Intro: ONE, two; three four five-six seven (eight) nine ten eleven twelve!"
    assert copied_spans(copied, grams) == [
        (12, "one two three four five six seven eight nine ten eleven twelve", "seed-000")
    ]
    assert copied_spans("one two three four five six seven eight nine ten eleven", grams) == []
    longer = copied_spans(f"x {seed} y", grams)
    assert [(count, seed) for count, _, seed in longer] == [(13, "seed-000")]


def test_without_the_seeds_folder_the_check_is_skipped_and_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(globals(), "SEEDS", tmp_path / "absent")
    with pytest.raises(pytest.skip.Exception, match=r"no seed documents at .*absent"):
        test_no_seed_sentences_are_copied_into_content()


def test_no_seed_sentences_are_copied_into_content() -> None:
    seeds = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    if not seeds:
        pytest.skip(f"no seed documents at {SEEDS} (../shared/seeds/*.txt): nothing to compare")
    grams = seed_grams(
        {f"seed-{p.name[:3]}": p.read_text(encoding="utf-8", errors="ignore") for p in seeds}
    )
    copies = []
    for path in sorted(p for p in CONTENT.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="ignore")
        for count, span, seed in copied_spans(text, grams):
            shown = span if len(span) <= 160 else span[:157] + "..."
            copies.append(f"{path.relative_to(ROOT)}: {count} words from {seed}: {shown}")
    assert copies == [], (
        f"{len(copies)} span(s) of {SPAN}+ words copied from the seeds; say it in other words:\n"
        + "\n".join(copies)
    )
