"""Messages for users."""

from bot.errors import quoted


def test_quoted_user_text_cannot_leave_its_code_span() -> None:
    assert quoted("a`b\nc") == "`a'b c`"
    assert quoted("x" * 50) == "`" + "x" * 39 + "…`"
