"""milestone: the Discord scheduled event that shows it, and its sync ledger columns

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "event_status",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                server_default="pending",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("event_claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "event_claim_token", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_column("event_claim_token")
        batch_op.drop_column("event_claimed_at")
        batch_op.drop_column("event_status")
        batch_op.drop_column("event_id")
