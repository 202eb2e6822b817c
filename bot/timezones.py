"""Time-zone names people type (learners in `/pair join`, moderators in due times): resolve
them to IANA names, or suggest close ones.

`resolve_timezone` accepts an IANA name in any case ("africa/lagos"), a city alone ("Lagos",
"new york"), a fixed offset ("UTC+3", "GMT-5"), a few African time-zone abbreviations
("WAT", "EAT", "CAT", "SAST") and the names of single-zone countries of the program
("Nigeria", "Kenya"). `suggest_timezones` feeds Discord autocomplete and "did you mean"
messages. Neither ever raises, whatever the text (length, emoji, control characters).
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

MAX_INPUT_CHARS = 100
"""Longer input is cut to this many characters before anything else (Discord caps at 100)."""

FUZZY_CUTOFF = 75.0
"""The lowest rapidfuzz ratio (0-100) for a name to be suggested without a substring match."""

MIN_FUZZY_CHARS = 4
"""Shorter text is matched by prefix and substring only: close spellings of 1-3 letters
match half the list."""

MAX_WORDS = 8
"""Words of the text tried one by one as names ("Lagos, Nigeria")."""

DEFAULT_TIMEZONES: tuple[str, ...] = (
    "UTC",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Africa/Accra",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Kigali",
    "Africa/Addis_Ababa",
    "Africa/Kampala",
    "Africa/Dar_es_Salaam",
    "Africa/Casablanca",
    "Africa/Abidjan",
    "Africa/Douala",
    "Africa/Dakar",
    "Africa/Lusaka",
    "Africa/Harare",
    "Africa/Kinshasa",
    "Africa/Algiers",
    "Africa/Tunis",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Dubai",
)
"""Shown for empty input, most used first (the program's learners are mostly in Africa)."""

ALIASES: dict[str, str] = {
    "wat": "Africa/Lagos",
    "west africa time": "Africa/Lagos",
    "eat": "Africa/Nairobi",
    "east africa time": "Africa/Nairobi",
    "cat": "Africa/Maputo",
    "central africa time": "Africa/Maputo",
    "sast": "Africa/Johannesburg",
    "south africa standard time": "Africa/Johannesburg",
    "nigeria": "Africa/Lagos",
    "kenya": "Africa/Nairobi",
    "ghana": "Africa/Accra",
    "egypt": "Africa/Cairo",
    "rwanda": "Africa/Kigali",
    "ethiopia": "Africa/Addis_Ababa",
    "uganda": "Africa/Kampala",
    "tanzania": "Africa/Dar_es_Salaam",
    "south africa": "Africa/Johannesburg",
    "morocco": "Africa/Casablanca",
    "cameroon": "Africa/Douala",
    "senegal": "Africa/Dakar",
    "zambia": "Africa/Lusaka",
    "zimbabwe": "Africa/Harare",
    "malawi": "Africa/Blantyre",
    "botswana": "Africa/Gaborone",
    "tunisia": "Africa/Tunis",
    "algeria": "Africa/Algiers",
    "sudan": "Africa/Khartoum",
    "somalia": "Africa/Mogadishu",
    "ivory coast": "Africa/Abidjan",
    "côte d'ivoire": "Africa/Abidjan",
    "cote d'ivoire": "Africa/Abidjan",
    "benin": "Africa/Porto-Novo",
    "togo": "Africa/Lome",
    "mozambique": "Africa/Maputo",
    "namibia": "Africa/Windhoek",
    "liberia": "Africa/Monrovia",
    "sierra leone": "Africa/Freetown",
}
"""Folded names (see `_key`) that are not IANA names, and the zone each one stands for."""

_MAIN_AREAS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)
_EXCLUDED = frozenset({"Factory", "localtime", "posixrules"})
_OFFSET = re.compile(r"(?:utc|gmt)\s*([+-])\s*(\d{1,2})(?::?(00))?")
_WORDS = re.compile(r"[\s,;/()]+")
_SPACES = re.compile(r"[\s_]+")


@dataclass(frozen=True, slots=True)
class _Index:
    """Lookup tables over the time zones this machine knows, built once."""

    names: frozenset[str]
    by_key: dict[str, str]
    by_city: dict[str, str]
    suggestible: tuple[str, ...]
    full_keys: tuple[str, ...]
    city_keys: tuple[str, ...]
    priority: dict[str, int]


def _key(text: str) -> str:
    """Fold a name for lookups: case-insensitive, underscores and runs of spaces as one space."""
    return _SPACES.sub(" ", text.casefold()).strip()


def _city(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _clean(text: str) -> str:
    """The text cut to MAX_INPUT_CHARS, without control or format characters, trimmed."""
    if not isinstance(text, str):
        return ""
    cut = text[:MAX_INPUT_CHARS]
    kept = "".join(" " if unicodedata.category(c).startswith("C") else c for c in cut)
    return kept.strip()


@lru_cache(maxsize=1)
def _index() -> _Index:
    names = frozenset(zoneinfo.available_timezones()) - _EXCLUDED
    by_key = {_key(name): name for name in sorted(names)}
    # A city alone names its zone; when two zones share a city (legacy links such as
    # America/Buenos_Aires), prefer the main areas, then the deeper (canonical) path.
    by_city: dict[str, str] = {}
    ranked = sorted(
        names,
        key=lambda n: (n.split("/", 1)[0] not in _MAIN_AREAS, -n.count("/"), n),
    )
    for name in ranked:
        if not name.startswith("Etc/"):  # "GMT-3" alone must not mean Etc/GMT-3 (UTC+3)
            by_city.setdefault(_key(_city(name)), name)
    suggestible = tuple(sorted(n for n in names if n == "UTC" or n.split("/", 1)[0] in _MAIN_AREAS))
    priority = {name: rank for rank, name in enumerate(DEFAULT_TIMEZONES)}
    return _Index(
        names=names,
        by_key=by_key,
        by_city=by_city,
        suggestible=suggestible,
        full_keys=tuple(_key(n) for n in suggestible),
        city_keys=tuple(_key(_city(n)) for n in suggestible),
        priority=priority,
    )


def _fixed_offset(key: str) -> str | None:
    """The Etc zone for a fixed offset such as "UTC+3" or "gmt-05:00" (Etc signs are inverted)."""
    found = _OFFSET.fullmatch(key.replace(" ", ""))
    if found is None:
        return None
    sign, hours = found.group(1), int(found.group(2))
    if hours == 0:
        return "UTC"
    if (sign == "+" and hours > 14) or (sign == "-" and hours > 12):
        return None
    return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"


def _closeness(key: str, choices: Sequence[str]) -> np.ndarray:
    """The rapidfuzz ratio (0-100) of `key` against each choice, whole or cut to the key's
    length (so a misspelt beginning still finds its name); zeros for a very short key."""
    if len(key) < MIN_FUZZY_CHARS or not choices:
        return np.zeros(len(choices))
    whole = process.cdist([key], choices, scorer=fuzz.ratio, workers=1)[0]
    prefixes = [choice[: len(key)] for choice in choices]
    start = process.cdist([key], prefixes, scorer=fuzz.ratio, workers=1)[0]
    best: np.ndarray = np.maximum(whole, start).astype(np.float64)
    return best


def resolve_timezone(name: str) -> str | None:
    """The IANA name meant by `name`, or None when there is no single clear answer.

    Case-insensitive exact names, cities alone ("Lagos" -> "Africa/Lagos"), fixed offsets
    ("UTC+1" -> "Etc/GMT-1"), and the aliases in ALIASES.
    """
    key = _key(_clean(name))
    if not key:
        return None
    index = _index()
    for found in (ALIASES.get(key), index.by_key.get(key), _fixed_offset(key)):
        if found is not None and found in index.names:
            return found
    if "/" not in key:
        return index.by_city.get(key)
    return None


def suggest_timezones(text: str, limit: int = 25) -> list[str]:
    """Up to `limit` IANA names for what was typed, best first (for autocomplete).

    Empty text gives DEFAULT_TIMEZONES. Otherwise: the resolved name, then names that start
    with the text (whole name or city), then names that contain it, then close spellings.
    """
    limit = max(0, min(int(limit), 1000))
    if limit == 0:
        return []
    index = _index()
    key = _key(_clean(text))
    if not key:
        return [name for name in DEFAULT_TIMEZONES if name in index.names][:limit]

    ranked: dict[str, tuple[int, float, float, str]] = {}

    def offer(name: str, tier: int, score: float) -> None:
        rank = float(index.priority.get(name, len(index.priority)))
        # Substring matches are ordered by popularity, close spellings by closeness.
        first, second = (rank, -score) if tier <= 2 else (-score, rank)
        entry = (tier, first, second, name)
        if name in index.names and (name not in ranked or entry < ranked[name]):
            ranked[name] = entry

    resolved = resolve_timezone(key)
    if resolved is not None:
        offer(resolved, 0, 100.0)
    for word in _WORDS.split(key)[:MAX_WORDS]:
        if word != key and (found := resolve_timezone(word)) is not None:
            offer(found, 1, 100.0)
    for alias, zone in ALIASES.items():
        if alias.startswith(key):
            offer(zone, 1, 100.0)
    scores = np.maximum(_closeness(key, index.full_keys), _closeness(key, index.city_keys))
    alias_scores = _closeness(key, tuple(ALIASES))
    for alias_score, zone in zip(alias_scores.tolist(), ALIASES.values(), strict=True):
        if alias_score >= FUZZY_CUTOFF:
            offer(zone, 3, alias_score)
    for position, name in enumerate(index.suggestible):
        full, city = index.full_keys[position], index.city_keys[position]
        if full.startswith(key) or city.startswith(key):
            offer(name, 1, float(scores[position]))
        elif key in full:
            offer(name, 2, float(scores[position]))
        elif scores[position] >= FUZZY_CUTOFF:
            offer(name, 3, float(scores[position]))
    return sorted(ranked, key=ranked.__getitem__)[:limit]
