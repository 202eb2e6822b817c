"""knowledge feedback: the answers /learn gave, members' votes on them, and the gap inbox

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 22:22:30.622541
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_gap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("best_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("dismissed_at", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("question"),
    )
    with op.batch_alter_table("knowledge_gap", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_gap_last_seen"), ["last_seen"], unique=False)

    op.create_table(
        "learn_answer",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("entry_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("best_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("picked", sa.Boolean(), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("learn_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learn_answer_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_learn_answer_entry_slug"), ["entry_slug"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_learn_answer_question"), ["question"], unique=False)

    op.create_table(
        "learn_vote",
        sa.Column("answer_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("voted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["answer_id"], ["learn_answer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("answer_id", "member_id"),
    )


def downgrade() -> None:
    op.drop_table("learn_vote")
    with op.batch_alter_table("learn_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learn_answer_question"))
        batch_op.drop_index(batch_op.f("ix_learn_answer_entry_slug"))
        batch_op.drop_index(batch_op.f("ix_learn_answer_created_at"))

    op.drop_table("learn_answer")
    with op.batch_alter_table("knowledge_gap", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_gap_last_seen"))

    op.drop_table("knowledge_gap")
