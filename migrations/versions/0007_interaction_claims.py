"""interaction_claim: the one replica that acts on each interaction

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interaction_claim",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_interaction_claim_created_at"), "interaction_claim", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_interaction_claim_created_at"), table_name="interaction_claim")
    op.drop_table("interaction_claim")
