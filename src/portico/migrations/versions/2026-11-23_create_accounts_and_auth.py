"""create accounts and auth

Revision ID: 8ea821272b3f
Revises:
Create Date: 2026-11-23 02:40:59.210475+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portico.db

revision: str = "8ea821272b3f"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "institutions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("biz_id", sa.String(length=16), nullable=False),
        sa.Column("issuer_id", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
        sa.UniqueConstraint("biz_id", name=op.f("uq_institutions_biz_id")),
        sa.UniqueConstraint("issuer_id", name=op.f("uq_institutions_issuer_id")),
    )
    op.create_table(
        "throttle_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_expires_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle_counters")),
    )
    op.create_table(
        "accounts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("biz_id", sa.String(length=16), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("portal", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("remark", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pending_approval", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("password_changed_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("default_language", sa.String(length=16), nullable=False),
        sa.Column("default_timezone", sa.String(length=64), nullable=False),
        sa.Column("default_country", sa.String(length=2), nullable=False),
        sa.Column("max_sessions", sa.Integer(), nullable=False),
        sa.Column("last_login_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_ip", sa.String(length=64), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_accounts_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("biz_id", name=op.f("uq_accounts_biz_id")),
        sa.UniqueConstraint(
            "institution_id", "portal", "email", name=op.f("uq_accounts_institution_id")
        ),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accounts_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "portal_access_codes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("portal", sa.String(length=20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_portal_access_codes_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_access_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_portal_access_codes_code")),
    )
    with op.batch_alter_table("portal_access_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_access_codes_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "workspaces",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("biz_id", sa.String(length=16), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("entity_biz_id", sa.String(length=64), nullable=True),
        sa.Column("extra_data", sa.JSON(), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_workspaces_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("biz_id", name=op.f("uq_workspaces_biz_id")),
    )
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workspaces_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "auth_sessions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("biz_id", sa.String(length=64), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("client_hash", sa.String(length=256), nullable=True),
        sa.Column("client_country", sa.String(length=8), nullable=True),
        sa.Column("locale", sa.String(length=32), nullable=True),
        sa.Column("login_time", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_time", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_auth_sessions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("biz_id", name=op.f("uq_auth_sessions_biz_id")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_sessions_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_auth_sessions_revoked_at"), ["revoked_at"], unique=False
        )

    op.create_table(
        "login_challenges",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("portal", sa.String(length=20), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("code_hash", sa.String(length=128), nullable=True),
        sa.Column("code_expires_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("expires_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_login_challenges_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_login_challenges_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_challenges")),
    )
    with op.batch_alter_table("login_challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_challenges_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_login_challenges_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_login_challenges_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "login_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("biz_id", sa.String(length=64), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("login_time", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("client_country", sa.String(length=8), nullable=True),
        sa.Column("login_result", sa.SmallInteger(), nullable=False),
        sa.Column("failure_reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_login_history_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_history")),
        sa.UniqueConstraint("biz_id", name=op.f("uq_login_history_biz_id")),
    )
    with op.batch_alter_table("login_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_history_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "mfa_enrollments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("verified_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_mfa_enrollments_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_enrollments")),
    )
    with op.batch_alter_table("mfa_enrollments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mfa_enrollments_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "password_reset_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("expires_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_password_reset_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_password_reset_tokens")),
    )
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_reset_tokens_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "workspace_roles",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("biz_id", sa.String(length=16), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role_type", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("is_builtin", sa.Boolean(), nullable=False),
        sa.Column("permission_codes", sa.JSON(), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workspace_roles_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_roles")),
        sa.UniqueConstraint("biz_id", name=op.f("uq_workspace_roles_biz_id")),
    )
    with op.batch_alter_table("workspace_roles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workspace_roles_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth_sessions.id"],
            name=op.f("fk_refresh_tokens_session_id_auth_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_refresh_tokens")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refresh_tokens_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "workspace_members",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("role_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("join_source", sa.String(length=20), nullable=False),
        sa.Column("is_owner", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_workspace_members_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["workspace_roles.id"],
            name=op.f("fk_workspace_members_role_id_workspace_roles"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workspace_members_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_members")),
        sa.UniqueConstraint(
            "workspace_id", "account_id", name=op.f("uq_workspace_members_workspace_id")
        ),
    )
    with op.batch_alter_table("workspace_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workspace_members_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_workspace_members_role_id"), ["role_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_workspace_members_workspace_id"), ["workspace_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("workspace_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workspace_members_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_workspace_members_role_id"))
        batch_op.drop_index(batch_op.f("ix_workspace_members_account_id"))

    op.drop_table("workspace_members")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_session_id"))

    op.drop_table("refresh_tokens")
    with op.batch_alter_table("workspace_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workspace_roles_workspace_id"))

    op.drop_table("workspace_roles")
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_reset_tokens_account_id"))

    op.drop_table("password_reset_tokens")
    with op.batch_alter_table("mfa_enrollments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mfa_enrollments_account_id"))

    op.drop_table("mfa_enrollments")
    with op.batch_alter_table("login_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_history_account_id"))

    op.drop_table("login_history")
    with op.batch_alter_table("login_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_challenges_institution_id"))
        batch_op.drop_index(batch_op.f("ix_login_challenges_expires_at"))
        batch_op.drop_index(batch_op.f("ix_login_challenges_account_id"))

    op.drop_table("login_challenges")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_revoked_at"))
        batch_op.drop_index(batch_op.f("ix_auth_sessions_account_id"))

    op.drop_table("auth_sessions")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workspaces_institution_id"))

    op.drop_table("workspaces")
    with op.batch_alter_table("portal_access_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_access_codes_institution_id"))

    op.drop_table("portal_access_codes")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_institution_id"))

    op.drop_table("accounts")
    op.drop_table("throttle_counters")
    op.drop_table("institutions")
