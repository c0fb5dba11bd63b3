"""partner approval: when the issuer decided, and why it rejected

Revision ID: c42d0fa97021
Revises: 771bd2211906
Create Date: 2026-12-02 04:45:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portico.db

revision: str = "c42d0fa97021"
down_revision: str | None = "771bd2211906"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("approval_decided_at", portico.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("rejection_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("rejection_reason")
        batch_op.drop_column("approval_decided_at")
