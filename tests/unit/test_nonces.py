"""Nonces name one post to one target, within Discord's 25 characters."""

from __future__ import annotations

from bot.nonces import post_nonce


def test_nonce_is_short_stable_and_distinct_per_kind_row_and_target() -> None:
    nonce = post_nonce("reminder", 7, 1_234_567_890_123_456_789)
    assert len(nonce) <= 25 and nonce == post_nonce("reminder", 7, 1_234_567_890_123_456_789)
    others = {
        post_nonce("reminder-dm", 7, 1_234_567_890_123_456_789),
        post_nonce("reminder", 8, 1_234_567_890_123_456_789),
        post_nonce("reminder", 7, 1_234_567_890_123_456_788),
    }
    assert nonce not in others and len(others) == 3


def test_a_reused_row_id_with_other_text_is_another_post() -> None:
    """A restored or fresh database numbers its rows again: same id, other reminder."""
    assert post_nonce("reminder", 1, 42, "Demo day is due") != post_nonce(
        "reminder", 1, 42, "Submission is due"
    )
