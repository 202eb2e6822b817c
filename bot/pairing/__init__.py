"""Partner matching: pair frontend and backend learners for the best round as a whole.

A pure core (plain values in, plain values out): no database, no Discord, no asyncio.
"""

from bot.pairing.matching import greedy_match, match
from bot.pairing.model import Group, Learner, MatchResult, Unplaced
from bot.pairing.timezones import resolve_timezone, suggest_timezones

__all__ = [
    "Group",
    "Learner",
    "MatchResult",
    "Unplaced",
    "greedy_match",
    "match",
    "resolve_timezone",
    "suggest_timezones",
]
