"""Showing entries in Discord: Markdown adapted to embeds, trimming, paging."""

from bot.knowledge.presentation import for_discord, paginate, quote_user_text, trim


def test_headings_become_bold_and_tables_become_lists() -> None:
    body = (
        "## Problem\nSlow.\n\n| Challenge | Outcome |\n|---|---|\n| DB | 60% faster |\n"
        "| CI/CD | 70% |\n\nAfter."
    )
    assert for_discord(body) == (
        "**Problem**\nSlow.\n\n**Challenge — Outcome**\n• DB — 60% faster\n• CI/CD — 70%\n\nAfter."
    )


def test_code_blocks_are_left_alone() -> None:
    body = "```\n# a comment\n| not | a table |\n```"
    assert for_discord(body) == body


def test_trim_cuts_at_a_paragraph() -> None:
    text, cut = trim("First paragraph here.\n\nSecond paragraph that is long.", 30)
    assert cut and text == "First paragraph here.…"
    assert trim("short", 10) == ("short", False)


def test_paginate_clamps() -> None:
    page = paginate(list(range(25)), 9, 10)
    assert (page.number, page.count, page.items) == (3, 3, (20, 21, 22, 23, 24))
    assert paginate([], 1, 10).count == 1


def test_quote_user_text_shortens_and_folds_whitespace() -> None:
    assert quote_user_text("a\n\nb   c") == "a b c"
    assert len(quote_user_text("x" * 500)) == 100
