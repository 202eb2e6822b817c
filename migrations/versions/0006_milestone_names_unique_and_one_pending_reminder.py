"""milestone: live names unique whatever the case; one pending reminder per milestone offset

Live milestones that already share a name (made by concurrent saves before this revision) are
merged: the oldest stays, the others are removed (soft, revertable) and their pending reminders
cancelled. Duplicate pending reminders of one milestone and offset keep the oldest.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def key(name: str) -> str:
    return " ".join(name.split()).casefold()


def upgrade() -> None:
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=100), nullable=True))
    bind = op.get_bind()
    milestone = sa.table(
        "milestone",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_key", sa.String),
        sa.column("deleted", sa.Boolean),
    )
    reminder = sa.table(
        "reminder",
        sa.column("id", sa.Integer),
        sa.column("milestone_id", sa.Integer),
        sa.column("offset_seconds", sa.Integer),
        sa.column("status", sa.String),
        sa.column("note", sa.String),
    )
    seen: set[str] = set()
    rows = bind.execute(
        sa.select(milestone.c.id, milestone.c.name, milestone.c.deleted).order_by(milestone.c.id)
    ).all()
    for row in rows:
        name_key = key(row.name)
        values: dict[str, object] = {"name_key": name_key}
        if not row.deleted:
            if name_key in seen:
                values["deleted"] = True
                bind.execute(
                    reminder.update()
                    .where(reminder.c.milestone_id == row.id, reminder.c.status == "pending")
                    .values(status="cancelled", note="duplicate milestone merged")
                )
            seen.add(name_key)
        bind.execute(milestone.update().where(milestone.c.id == row.id).values(**values))
    pending: set[tuple[int, int]] = set()
    for row in bind.execute(
        sa.select(reminder.c.id, reminder.c.milestone_id, reminder.c.offset_seconds)
        .where(reminder.c.status == "pending")
        .order_by(reminder.c.id)
    ).all():
        slot = (row.milestone_id, row.offset_seconds)
        if slot in pending:
            bind.execute(
                reminder.update()
                .where(reminder.c.id == row.id)
                .values(status="cancelled", note="duplicate reminder merged")
            )
        pending.add(slot)
    op.create_index(
        "uq_milestone_live_name",
        "milestone",
        ["name_key"],
        unique=True,
        sqlite_where=sa.text("NOT deleted"),
        postgresql_where=sa.text("NOT deleted"),
    )
    op.create_index(
        "uq_reminder_pending_offset",
        "reminder",
        ["milestone_id", "offset_seconds"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("uq_reminder_pending_offset", table_name="reminder")
    op.drop_index("uq_milestone_live_name", table_name="milestone")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_column("name_key")
