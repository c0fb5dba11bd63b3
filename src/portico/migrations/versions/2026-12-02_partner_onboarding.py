"""partner onboarding: KYC profiles (ID number sealed, one per blind index and institution),
subscriptions to partners, the institutions' ID document types

Revision ID: 2219733c075a
Revises: 948911773263
Create Date: 2026-12-02 15:06:11.550192+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portico.db

revision: str = "2219733c075a"
down_revision: str | None = "948911773263"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "onboarding_subscriptions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("biz_id", sa.String(length=16), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "partner_workspace_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("activated_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_onboarding_subscriptions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_onboarding_subscriptions_partner_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_subscriptions")),
        sa.UniqueConstraint(
            "account_id",
            "partner_workspace_id",
            name=op.f("uq_onboarding_subscriptions_account_id"),
        ),
        sa.UniqueConstraint("biz_id", name=op.f("uq_onboarding_subscriptions_biz_id")),
    )
    with op.batch_alter_table("onboarding_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onboarding_subscriptions_partner_workspace_id"),
            ["partner_workspace_id"],
            unique=False,
        )

    op.create_table(
        "kyc_profiles",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("given_name", sa.String(length=100), nullable=True),
        sa.Column("middle_name", sa.String(length=100), nullable=True),
        sa.Column("family_name", sa.String(length=100), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=20), nullable=True),
        sa.Column("nationality", sa.String(length=2), nullable=True),
        sa.Column("id_type", sa.String(length=40), nullable=True),
        sa.Column("id_country", sa.String(length=2), nullable=True),
        sa.Column("id_number_sealed", sa.String(length=500), nullable=True),
        sa.Column("id_blind_index", sa.String(length=64), nullable=True),
        sa.Column("id_issue_date", sa.Date(), nullable=True),
        sa.Column("id_expiry_date", sa.Date(), nullable=True),
        sa.Column("kyc_level", sa.String(length=20), nullable=False),
        sa.Column("screening_status", sa.String(length=30), nullable=False),
        sa.Column("partner_kyc_reference", sa.String(length=100), nullable=True),
        sa.Column(
            "kyc_source_workspace_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("extra_data", sa.JSON(), nullable=True),
        sa.Column(
            "id_front_file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "id_back_file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "face_file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("compliance_status", sa.String(length=30), nullable=False),
        sa.Column("compliance_reason", sa.String(length=500), nullable=True),
        sa.Column("compliance_changed_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_kyc_profiles_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["face_file_id"],
            ["files.id"],
            name=op.f("fk_kyc_profiles_face_file_id_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["id_back_file_id"],
            ["files.id"],
            name=op.f("fk_kyc_profiles_id_back_file_id_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["id_front_file_id"],
            ["files.id"],
            name=op.f("fk_kyc_profiles_id_front_file_id_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_kyc_profiles_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["kyc_source_workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_kyc_profiles_kyc_source_workspace_id_workspaces"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_profiles")),
        sa.UniqueConstraint("account_id", name=op.f("uq_kyc_profiles_account_id")),
    )
    with op.batch_alter_table("kyc_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kyc_profiles_face_file_id"), ["face_file_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_kyc_profiles_id_back_file_id"), ["id_back_file_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_kyc_profiles_id_front_file_id"), ["id_front_file_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_kyc_profiles_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_kyc_profiles_kyc_source_workspace_id"),
            ["kyc_source_workspace_id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_kyc_profiles_institution_id_blind_index",
            ["institution_id", "id_blind_index"],
            unique=True,
        )

    # A plain ADD COLUMN (SQLite too): rebuilding institutions would drop its cascading children.
    op.add_column("institutions", sa.Column("id_types", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("institutions", "id_types")

    with op.batch_alter_table("kyc_profiles", schema=None) as batch_op:
        batch_op.drop_index("uq_kyc_profiles_institution_id_blind_index")
        batch_op.drop_index(batch_op.f("ix_kyc_profiles_kyc_source_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_kyc_profiles_institution_id"))
        batch_op.drop_index(batch_op.f("ix_kyc_profiles_id_front_file_id"))
        batch_op.drop_index(batch_op.f("ix_kyc_profiles_id_back_file_id"))
        batch_op.drop_index(batch_op.f("ix_kyc_profiles_face_file_id"))

    op.drop_table("kyc_profiles")
    with op.batch_alter_table("onboarding_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onboarding_subscriptions_partner_workspace_id"))

    op.drop_table("onboarding_subscriptions")
