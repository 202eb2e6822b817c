"""Who is a moderator: a plain rule, checked on every moderator action."""

from __future__ import annotations

from collections.abc import Iterable

MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3


def is_moderator(
    member_role_ids: Iterable[int], permissions: int, moderator_role_ids: Iterable[int]
) -> bool:
    """True for members with a configured moderator role, Manage Server or Administrator."""
    if permissions & (MANAGE_GUILD | ADMINISTRATOR):
        return True
    return not set(member_role_ids).isdisjoint(moderator_role_ids)
