"""erased files: when a deleted consumer's file was erased, and when its bytes left the store

Revision ID: 5b1e0c7d9a42
Revises: 2219733c075a
Create Date: 2026-12-03 08:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portico.db

revision: str = "5b1e0c7d9a42"
down_revision: str | None = "2219733c075a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erased_at", portico.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("purged_at", portico.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_files_erased_at"), ["erased_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_files_erased_at"))
        batch_op.drop_column("purged_at")
        batch_op.drop_column("erased_at")
