"""Time-zone names typed by learners: resolution, suggestions, hostile input."""

from __future__ import annotations

import random
import zoneinfo

import pytest

from bot.timezones import DEFAULT_TIMEZONES, resolve_timezone, suggest_timezones

KNOWN = zoneinfo.available_timezones()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Africa/Lagos", "Africa/Lagos"),
        ("africa/lagos", "Africa/Lagos"),
        ("  AFRICA/NAIROBI ", "Africa/Nairobi"),
        ("Lagos", "Africa/Lagos"),
        ("nairobi", "Africa/Nairobi"),
        ("addis ababa", "Africa/Addis_Ababa"),
        ("New York", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT", "GMT"),
        ("UTC+1", "Etc/GMT-1"),
        ("gmt-5", "Etc/GMT+5"),
        ("UTC+03:00", "Etc/GMT-3"),
        ("utc+0", "UTC"),
        ("WAT", "Africa/Lagos"),
        ("EAT", "Africa/Nairobi"),
        ("Nigeria", "Africa/Lagos"),
        ("kenya", "Africa/Nairobi"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("US/Eastern", "US/Eastern"),
    ],
)
def test_resolves_names_cities_offsets_and_aliases(typed: str, expected: str) -> None:
    assert resolve_timezone(typed) == expected
    assert expected in KNOWN


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "Afrika/Lagos",
        "Mars/Olympus",
        "Africa",
        "UTC+15",
        "GMT-13",
        "localtime",
        "x" * 6000,
    ],
)
def test_unclear_names_do_not_resolve(typed: str) -> None:
    assert resolve_timezone(typed) is None


def test_empty_text_suggests_the_defaults() -> None:
    suggestions = suggest_timezones("")
    assert suggestions[:3] == ["UTC", "Africa/Lagos", "Africa/Nairobi"]
    assert {"Africa/Accra", "Africa/Cairo", "Europe/London"} <= set(suggestions)
    assert len(suggestions) <= 25
    assert suggestions == [name for name in DEFAULT_TIMEZONES if name in KNOWN][:25]
    assert suggest_timezones("   ", limit=3) == ["UTC", "Africa/Lagos", "Africa/Nairobi"]


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("Afrika/Lagos", "Africa/Lagos"),
        ("nairobi", "Africa/Nairobi"),
        ("Nairobbi", "Africa/Nairobi"),
        ("lag", "Africa/Lagos"),
        ("johanesburg", "Africa/Johannesburg"),
        ("Europe/Lodnon", "Europe/London"),
        ("kolkatta", "Asia/Kolkata"),
        ("new yor", "America/New_York"),
        ("los ang", "America/Los_Angeles"),
        ("Lagos, Nigeria", "Africa/Lagos"),
        ("dar es salaam", "Africa/Dar_es_Salaam"),
        ("Nigerai", "Africa/Lagos"),
        ("Af", "Africa/Lagos"),
    ],
)
def test_suggestions_put_the_intended_zone_first(typed: str, first: str) -> None:
    suggestions = suggest_timezones(typed)
    assert suggestions[0] == first
    assert len(suggestions) == len(set(suggestions))


def test_prefix_lists_zones_in_popularity_order() -> None:
    suggestions = suggest_timezones("Africa/", limit=5)
    assert suggestions == [
        "Africa/Lagos",
        "Africa/Nairobi",
        "Africa/Accra",
        "Africa/Cairo",
        "Africa/Johannesburg",
    ]
    assert all(name.startswith("Africa/") for name in suggest_timezones("africa/", limit=25))


def test_limit_is_respected() -> None:
    assert len(suggest_timezones("a", limit=25)) == 25
    assert len(suggest_timezones("a", limit=3)) == 3
    assert suggest_timezones("a", limit=0) == []
    assert suggest_timezones("a", limit=-5) == []


HOSTILE = [
    "x" * 6000,
    "🦄" * 3000,
    "\x00\x01\x02\x1b[31mLagos\x7f",
    "\u202eLagos\u202c",
    "Lagos\u200b\u200d",
    "'; DROP TABLE learners; --",
    "%s%s%n",
    "../../../../etc/passwd",
    "\ud800",
    "Africa/" * 900,
    "\n\t\r ",
    "ÅFRİCA/LAGOS",
]


@pytest.mark.parametrize("typed", HOSTILE)
def test_hostile_input_never_raises(typed: str) -> None:
    for limit in (1, 25):
        suggestions = suggest_timezones(typed, limit=limit)
        assert isinstance(suggestions, list) and len(suggestions) <= limit
        assert all(name in KNOWN for name in suggestions)
    resolved = resolve_timezone(typed)
    assert resolved is None or resolved in KNOWN


def test_control_characters_are_ignored() -> None:
    assert resolve_timezone("\x00Lagos\u200b") == "Africa/Lagos"
    assert suggest_timezones("\x1bnairobi\x07")[0] == "Africa/Nairobi"


def test_random_unicode_never_raises() -> None:
    rng = random.Random(3)
    alphabet = [chr(code) for code in range(0, 0x3000) if not 0xD800 <= code <= 0xDFFF]
    alphabet += ["🦄", "👩🏽‍💻", "/", "_", "+", "-"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        suggestions = suggest_timezones(text, limit=25)
        assert len(suggestions) <= 25
        assert all(name in KNOWN for name in suggestions)
        resolve_timezone(text)


def test_every_suggestion_is_a_loadable_zone() -> None:
    for typed in ("", "a", "america", "asia/", "pacific", "utc+5"):
        for name in suggest_timezones(typed, limit=25):
            zoneinfo.ZoneInfo(name)
