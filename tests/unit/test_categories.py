"""Entry categories are named in a few places Discord needs them; they must agree."""

from __future__ import annotations

from typing import get_args

from bot.knowledge.entry import CATEGORIES
from bot.knowledge.presentation import CATEGORY_LABELS
from cogs.embeds import CATEGORY_COLORS
from cogs.knowledge import CategoryName


def test_every_category_has_a_choice_a_colour_and_a_label() -> None:
    categories = set(CATEGORIES)
    assert set(get_args(CategoryName)) == categories  # the /topics choices
    assert set(CATEGORY_COLORS) == categories
    assert set(CATEGORY_LABELS) == categories
