"""The tokenizer's fast paths give exactly what its regular expression gives."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.knowledge.text import fold, pieces, tokenize

# The tokenizer as a regular expression alone, as it was before its fast paths.
_TOKEN = re.compile(r"[^\W_]#(?![^\W_]|[+#])|[^\W_](?:[^\W_]+|\+|#+(?=[^\W_]|\+))*")
_APOSTROPHES = re.compile(r"['’`´]")


def reference_tokenize(text: str) -> list[str]:
    return _TOKEN.findall(_APOSTROPHES.sub("", fold(text)))


# Letters, digits, the token characters, separators, apostrophes, and non-ASCII characters
# that separate (dashes, arrows, box drawing), vanish (marks, zero-width) or are letters.
TRICKY = "aZ9+#_ -.'`\n\t—–’‘´…→─│é\u0301\u200bßΣς™①Ａ中"
texts = st.text(alphabet=st.sampled_from(TRICKY), max_size=24) | st.text(max_size=24)


@settings(max_examples=3000, derandomize=True, deadline=None)
@given(texts)
def test_tokenize_matches_its_regular_expression(text: str) -> None:
    assert tokenize(text) == reference_tokenize(text)


@settings(max_examples=3000, derandomize=True, deadline=None)
@given(texts)
def test_pieces_are_one_token_or_none_and_together_the_tokens(text: str) -> None:
    tokens = [tokenize(piece) for piece in pieces(text)]
    assert all(len(t) <= 1 for t in tokens)
    assert [t for each in tokens for t in each] == tokenize(text)


@settings(max_examples=3000, derandomize=True, deadline=None)
@given(texts)
def test_a_token_is_its_own_token(text: str) -> None:
    """The index feeds names' tokens back as pieces and stems them as they are."""
    assert all(tokenize(token) == [token] for token in tokenize(text))


def test_examples() -> None:
    assert tokenize("Fix N+1 queries in C# and c++ — don’t #panic") == [
        "fix",
        "n+1",
        "queries",
        "in",
        "c#",
        "and",
        "c++",
        "dont",
        "panic",
    ]
    assert pieces("a — b+ ## c") == ["a", "b+", "##", "c"]
