"""pairing follow-up: first in line, unresponsive partners, check-in nudges, round notices

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("learner", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_in_line", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("pairing_member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unresponsive", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "nudge_status",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                server_default="pending",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("nudge_claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.create_table(
        "pairing_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slot"),
    )
    # Check-ins asked before this revision get no late reminder.
    op.execute("UPDATE pairing_member SET nudge_status = 'posted'")
    # Whoever the last round left out is first in line (what they were told).
    op.execute(
        "UPDATE learner SET first_in_line = true WHERE user_id IN (SELECT user_id FROM "
        "pairing_unplaced WHERE round_id = (SELECT max(id) FROM pairing_round))"
    )


def downgrade() -> None:
    op.drop_table("pairing_notice")
    with op.batch_alter_table("pairing_member", schema=None) as batch_op:
        batch_op.drop_column("nudge_claimed_at")
        batch_op.drop_column("nudge_status")
        batch_op.drop_column("unresponsive")
    with op.batch_alter_table("learner", schema=None) as batch_op:
        batch_op.drop_column("first_in_line")
