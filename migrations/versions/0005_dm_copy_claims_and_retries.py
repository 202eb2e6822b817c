"""reminder_dm: DM copies are claimed, then marked sent, or retried with backoff

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 04:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminder_dm", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("retry_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminder_dm", schema=None) as batch_op:
        batch_op.drop_column("retry_at")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("attempts")
