"""account security

Revision ID: 4eb54ef8702c
Revises: 8ea821272b3f
Create Date: 2026-11-23 03:04:47.762824+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portico.db

revision: str = "4eb54ef8702c"
down_revision: str | None = "8ea821272b3f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "secure_channel_keys",
        sa.Column("key_id", sa.String(length=12), nullable=False),
        sa.Column("public_key_der_b64", sa.Text(), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_secure_channel_keys")),
    )
    with op.batch_alter_table("secure_channel_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_secure_channel_keys_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "secure_channel_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=12), nullable=False),
        sa.Column("aes_key_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secure_channel_sessions")),
    )
    with op.batch_alter_table("secure_channel_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_secure_channel_sessions_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "backup_codes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_backup_codes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_codes")),
    )
    with op.batch_alter_table("backup_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_backup_codes_account_id"), ["account_id"], unique=False
        )

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "ip_whitelist_enabled", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("ip_whitelist", sa.JSON(), server_default="[]", nullable=False)
        )

    with op.batch_alter_table("mfa_enrollments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("last_used_step", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mfa_enrollments", schema=None) as batch_op:
        batch_op.drop_column("last_used_step")
        batch_op.drop_column("secret_encrypted")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("ip_whitelist")
        batch_op.drop_column("ip_whitelist_enabled")

    with op.batch_alter_table("backup_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backup_codes_account_id"))

    op.drop_table("backup_codes")
    with op.batch_alter_table("secure_channel_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_secure_channel_sessions_expires_at"))

    op.drop_table("secure_channel_sessions")
    with op.batch_alter_table("secure_channel_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_secure_channel_keys_created_at"))

    op.drop_table("secure_channel_keys")
