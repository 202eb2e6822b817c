"""Who is a moderator."""

from bot.moderation.policy import ADMINISTRATOR, MANAGE_GUILD, is_moderator


def test_moderator_role_manage_server_or_admin() -> None:
    assert is_moderator([5, 7], 0, [7])
    assert is_moderator([], MANAGE_GUILD, [7])
    assert is_moderator([], ADMINISTRATOR, [])
    assert not is_moderator([5], 1 << 13, [7])  # Manage Messages alone is not enough
