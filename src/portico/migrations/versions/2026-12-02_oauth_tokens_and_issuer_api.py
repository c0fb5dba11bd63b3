"""oauth tokens and issuer api: signing keys, issuer clients, token families, consumer
operations, the audit log, and the institutions' realm

Revision ID: 8d0f3c86f82c
Revises: c42d0fa97021
Create Date: 2026-12-02 05:20:51.833478+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portico.db

revision: str = "8d0f3c86f82c"
down_revision: str | None = "c42d0fa97021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_signing_keys",
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retires_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_oauth_signing_keys")),
    )
    with op.batch_alter_table("oauth_signing_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_signing_keys_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "issuer_audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=24), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_issuer_audit_events_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuer_audit_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_issuer_audit_events_event_id")),
    )
    with op.batch_alter_table("issuer_audit_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issuer_audit_events_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "ix_issuer_audit_events_institution_id_id", ["institution_id", "id"], unique=False
        )

    op.create_table(
        "issuer_clients",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_issuer_clients_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuer_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_issuer_clients_client_id")),
    )
    with op.batch_alter_table("issuer_clients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issuer_clients_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "oauth_token_families",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("biz_id", sa.String(length=64), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("client_type", sa.String(length=16), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_oauth_token_families_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_token_families")),
        sa.UniqueConstraint("biz_id", name=op.f("uq_oauth_token_families_biz_id")),
    )
    with op.batch_alter_table("oauth_token_families", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_token_families_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_oauth_token_families_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_oauth_token_families_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "consumer_operations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("consumer_biz_id", sa.String(length=16), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_time", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_time", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("requestor_type", sa.String(length=8), nullable=False),
        sa.Column("requestor_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=256), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_consumer_operations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_consumer_operations_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumer_operations")),
        sa.UniqueConstraint("operation_id", name=op.f("uq_consumer_operations_operation_id")),
    )
    with op.batch_alter_table("consumer_operations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consumer_operations_account_id_id", ["account_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consumer_operations_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consumer_operations_start_time"), ["start_time"], unique=False
        )

    op.create_table(
        "oauth_refresh_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "family_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["oauth_token_families.id"],
            name=op.f("fk_oauth_refresh_tokens_family_id_oauth_token_families"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_oauth_refresh_tokens")),
    )
    with op.batch_alter_table("oauth_refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_refresh_tokens_family_id"), ["family_id"], unique=False
        )

    # Every existing institution's realm is its issuerId. Added in place, never by rebuilding
    # `institutions` (on SQLite a rebuild drops the table, and its cascading children with it).
    op.add_column(
        "institutions", sa.Column("realm", sa.String(length=64), server_default="", nullable=False)
    )
    op.execute("UPDATE institutions SET realm = issuer_id")
    op.create_index(op.f("ix_institutions_realm"), "institutions", ["realm"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_institutions_realm"), table_name="institutions")
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.drop_column("realm")

    with op.batch_alter_table("oauth_refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_refresh_tokens_family_id"))

    op.drop_table("oauth_refresh_tokens")
    with op.batch_alter_table("consumer_operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consumer_operations_start_time"))
        batch_op.drop_index(batch_op.f("ix_consumer_operations_institution_id"))
        batch_op.drop_index("ix_consumer_operations_account_id_id")

    op.drop_table("consumer_operations")
    with op.batch_alter_table("oauth_token_families", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_token_families_institution_id"))
        batch_op.drop_index(batch_op.f("ix_oauth_token_families_expires_at"))
        batch_op.drop_index(batch_op.f("ix_oauth_token_families_client_id"))

    op.drop_table("oauth_token_families")
    with op.batch_alter_table("issuer_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issuer_clients_institution_id"))

    op.drop_table("issuer_clients")
    with op.batch_alter_table("issuer_audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_issuer_audit_events_institution_id_id")
        batch_op.drop_index(batch_op.f("ix_issuer_audit_events_created_at"))

    op.drop_table("issuer_audit_events")
    with op.batch_alter_table("oauth_signing_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_signing_keys_created_at"))

    op.drop_table("oauth_signing_keys")
