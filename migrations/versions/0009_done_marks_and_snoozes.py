"""milestone_done and reminder_snooze: Done and Snooze on DM copies of reminders

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "milestone_done",
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["milestone_id"], ["milestone.id"]),
        sa.PrimaryKeyConstraint("milestone_id", "user_id"),
    )
    op.create_table(
        "reminder_snooze",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["reminder_id"], ["reminder.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reminder_id", "user_id"),
    )
    op.create_index(
        op.f("ix_reminder_snooze_reminder_id"), "reminder_snooze", ["reminder_id"], unique=False
    )
    op.create_index(op.f("ix_reminder_snooze_due_at"), "reminder_snooze", ["due_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reminder_snooze_due_at"), table_name="reminder_snooze")
    op.drop_index(op.f("ix_reminder_snooze_reminder_id"), table_name="reminder_snooze")
    op.drop_table("reminder_snooze")
    op.drop_table("milestone_done")
