"""Text normalization shared by the validator and the search index.

Everything here is pure and total: any string (emoji, right-to-left text, zero-width and control
characters, Discord mentions, Markdown) normalizes without raising.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_QUERY_CHARS = 200
"""Queries are truncated to this many characters before any matching."""

_DISCORD_MARKUP = re.compile(r"<(?:@[!&]?|#|a?:\w*:)\d+>|<t:\d+(?::\w)?>")
_URL = re.compile(r"https?://\S+")
_APOSTROPHES = re.compile(r"['’`´]")
# A token starts with a letter or digit; `+` may follow anywhere, `#` only before more of the
# token or as the second of two characters (`c#`, `n+1`, `c++`, but `#tag` -> `tag`).
_TOKEN = re.compile(r"[^\W_]#(?![^\W_]|[+#])|[^\W_](?:[^\W_]+|\+|#+(?=[^\W_]|\+))*")

_STOP_TEXT = """
    a about actually after again all also am an and any anyone anything are as at be been
    being best better between both but by can cant could did didnt do does doesnt doing dont
    each else ever every explain explained for from get gets getting give go going good got
    had has have having he help her here hey hi his how i id if im in into is isnt it its
    ive just know learn let like looking main make me mean meaning means mine more most much
    my need needed needs new no not of off ok okay on one only or other our out over please
    possible pls plz proper properly really right say see seem she should so some someone
    something still such sure tell than thank thanks that thats the their them then there
    these they thing things this those through to too trying u understand up us use used
    useful uses using very via want wanted was way ways we well were what whats when where
    whether which while who whom why will with without work works would yes you your
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())
"""Words that carry no topic: English function words, question words and chat filler."""

_WEAK_TEXT = """
    able about across add again against ago almost already always another anyway around
    back bad bit big both break broke broken case cause change come common compare comparison
    complete correct create day describe detail details difference differences different
    difficult does doing done down during easy easily either end enough entire even example
    examples exactly fast faster find finish first fix fixed fixing follow full fully general
    great guide hard happen happened happening happens high huge idea important improve
    instead issue issues keep kind large last later least less little long look lot lots low
    many maybe might much nice normal often old once part people place point problem problems
    put question quick quickly rather real reason same second set several show simple simply
    since slow small sometimes sort start step steps stop stuff sure take time times tiny
    today tomorrow try turn type usual usually various versus vs wrong
"""
WEAK_WORDS: frozenset[str] = frozenset(_WEAK_TEXT.split()) - STOP_WORDS
"""Generic English words that are not stop words but say little about the topic."""


def clean(text: str, max_chars: int | None = MAX_QUERY_CHARS) -> str:
    """Truncate `text` and drop Discord markup (mentions, custom emoji, timestamps) and URLs."""
    if max_chars is not None:
        text = text[:max_chars]
    text = _DISCORD_MARKUP.sub(" ", text)
    return _URL.sub(" ", text)


class _FoldTable(dict[int, int | str | None]):
    """`str.translate` table built on demand: drop marks and invisibles, blank out controls."""

    def __missing__(self, code: int) -> int | str | None:
        category = unicodedata.category(chr(code))
        if category in ("Mn", "Me", "Cf"):  # accents, enclosing marks, zero-width/bidi marks
            value: int | str | None = None
        elif category in ("Cc", "Cs", "Co", "Zl", "Zp"):  # controls, lone surrogates, private
            value = " "
        else:
            value = code
        if len(self) < 65536:
            self[code] = value
        return value


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Case-fold, strip accents and drop invisible characters (keeps punctuation)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    return text.translate(_FOLD_TABLE).casefold()


_TOKEN_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789+#")
_BLANK_OTHER_BYTES = bytes(c if c in _TOKEN_BYTES else 32 for c in range(256))
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _ascii_pieces(folded: str) -> list[str]:
    """Lowercase ASCII text split on every character that cannot be in a token."""
    return folded.encode("ascii").translate(_BLANK_OTHER_BYTES).decode("ascii").split()


def tokenize(text: str) -> list[str]:
    """Split `text` into folded tokens.

    Punctuation separates words, except `+` and `#` which are meaningful inside tokens such as
    `n+1`, `c++` and `c#`; apostrophes are removed (`don't` -> `dont`).
    """
    if text.isascii():  # the common case, without a regex pass for apostrophes
        folded = text.lower().replace("'", "").replace("`", "")
        if "+" not in folded and "#" not in folded:
            return _ascii_pieces(folded)  # the same tokens, without the regular expression
    else:
        folded = _APOSTROPHES.sub("", fold(text))
    return _TOKEN.findall(folded)


@lru_cache(maxsize=4096)
def _plain(character: str) -> str:
    """What `pieces` puts in place of a non-ASCII character: "" when tokenizing drops it
    (marks, invisible characters, apostrophes), " " when it only separates words (dashes,
    arrows, box drawing), or the character itself, which sends the text to `tokenize`."""
    folded = _APOSTROPHES.sub("", fold(character))
    if any(c.isalnum() or c in "+#" for c in folded):
        return character
    return " " if folded else ""


def pieces(text: str) -> list[str]:
    """`text` cut wherever no token can go on, for indexing a lot of text: in order, the
    pieces' `tokenize` are `tokenize(text)`, and most pieces are a token as they are.

    For ASCII text (and text whose non-ASCII characters only separate words or are dropped:
    dashes, arrows, marks, invisible characters, curly apostrophes) that is a byte translation
    and a split, several times faster than the tokenizer's regular expression; other text is
    tokenized (each token is its own piece, as `tokenize` of a token is that token).
    """
    if not text.isascii():
        plain = _NON_ASCII.sub(lambda match: _plain(match.group()), text)
        if not plain.isascii():
            return tokenize(text)
        text = plain
    return _ascii_pieces(text.lower().replace("'", "").replace("`", ""))


def normalize(text: str) -> str:
    """Return the folded tokens of `text` joined by single spaces (the matching key of a name)."""
    return " ".join(tokenize(text))


def content_words(tokens: list[str]) -> list[str]:
    """Drop stop words; when nothing is left the result is empty."""
    return [t for t in tokens if t not in STOP_WORDS]


_VOWELS = frozenset("aeiouy")


def _has_vowel(text: str) -> bool:
    return any(c in _VOWELS for c in text)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes")) or (word.endswith(("xes", "zes")) and len(word) > 4):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """Light English stemmer: plurals and a few verb/noun endings (`queries` -> `query`).

    Tokens with digits or symbols (`n+1`, `k8s`, `c++`) and short tokens are left alone.
    The same function is applied to documents and queries, so the stems only need to agree.
    """
    if len(token) <= 3 or not token.isalpha() or not token.isascii():
        return token
    word = _singular(token)
    for suffix in ("ations", "ation", "ions", "ion", "ings", "ing", "ed", "ly"):
        if suffix.startswith("ion") and not word.endswith("tion"):
            continue
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if suffix.startswith("ation"):
                base += "at"
            if len(base) >= 4 and _has_vowel(base):
                if base[-1] == base[-2] and base[-1] not in "lsz":  # running -> run
                    base = base[:-1]
                word = base
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word
