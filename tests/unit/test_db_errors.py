"""Constraint errors are read by constraint name, on both databases' wording."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.db import violates


def integrity_error(message: str) -> IntegrityError:
    return IntegrityError("INSERT ...", {}, Exception(message))


def test_a_violation_is_recognised_by_its_constraint_name() -> None:
    sqlite = integrity_error("UNIQUE constraint failed: pairing_round.slot")
    postgres = integrity_error(
        'duplicate key value violates unique constraint "pairing_round_slot_key"'
    )
    for error in (sqlite, postgres):
        assert violates(error, "pairing_round_slot_key", "pairing_round.slot")
    other = integrity_error("NOT NULL constraint failed: pairing_group.round_id")
    assert not violates(other, "pairing_round_slot_key", "pairing_round.slot")
