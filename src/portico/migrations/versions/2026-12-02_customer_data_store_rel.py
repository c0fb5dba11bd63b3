"""customer data store (rel): versioned contacts and organisations, immutable addresses and
phone numbers

Revision ID: 948911773263
Revises: e5b86666be25
Create Date: 2026-12-02 14:29:17.073276+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portico.db

revision: str = "948911773263"
down_revision: str | None = "e5b86666be25"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rel_organisations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.String(length=36), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("file_id", sa.String(length=64), nullable=True),
        sa.Column("coc_number", sa.String(length=64), nullable=True),
        sa.Column("account_manager", sa.String(length=200), nullable=True),
        sa.Column("administration", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("registrations", sa.JSON(), nullable=True),
        sa.Column("payment_settings", sa.JSON(), nullable=True),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_rel_organisations_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rel_organisations")),
        sa.UniqueConstraint("uid", name=op.f("uq_rel_organisations_uid")),
    )
    with op.batch_alter_table("rel_organisations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rel_organisations_institution_id_id", ["institution_id", "id"], unique=False
        )

    op.create_table(
        "rel_addresses",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("administrative_area", sa.String(length=200), nullable=True),
        sa.Column("locality", sa.String(length=200), nullable=True),
        sa.Column("dependent_locality", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=True),
        sa.Column("sorting_code", sa.String(length=32), nullable=True),
        sa.Column("address_line_1", sa.String(length=300), nullable=True),
        sa.Column("address_line_2", sa.String(length=300), nullable=True),
        sa.Column("thoroughfare", sa.String(length=300), nullable=True),
        sa.Column("premise_number", sa.Integer(), nullable=True),
        sa.Column("premise_number_suffix", sa.String(length=32), nullable=True),
        sa.Column("organisation", sa.String(length=300), nullable=True),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("additional_name", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_rel_addresses_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_rel_addresses_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rel_addresses")),
        sa.UniqueConstraint("uid", name=op.f("uq_rel_addresses_uid")),
    )
    with op.batch_alter_table("rel_addresses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rel_addresses_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_rel_addresses_institution_id_id", ["institution_id", "id"], unique=False
        )

    op.create_table(
        "rel_contacts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("version", sa.String(length=36), nullable=False),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("is_guest", sa.Boolean(), nullable=False),
        sa.Column("audience", sa.String(length=64), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("additional_name", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_rel_contacts_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_rel_contacts_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rel_contacts")),
        sa.UniqueConstraint("uid", name=op.f("uq_rel_contacts_uid")),
    )
    with op.batch_alter_table("rel_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rel_contacts_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_rel_contacts_institution_id_id", ["institution_id", "id"], unique=False
        )
        batch_op.create_index(
            "uq_rel_contacts_institution_email",
            ["institution_id", "email"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "rel_organisation_versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.String(length=36), nullable=False),
        sa.Column("deleted_at", portico.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("file_id", sa.String(length=64), nullable=True),
        sa.Column("coc_number", sa.String(length=64), nullable=True),
        sa.Column("account_manager", sa.String(length=200), nullable=True),
        sa.Column("administration", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("registrations", sa.JSON(), nullable=True),
        sa.Column("payment_settings", sa.JSON(), nullable=True),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["rel_organisations.id"],
            name=op.f("fk_rel_organisation_versions_organisation_id_rel_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rel_organisation_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_rel_organisation_versions_version")),
    )
    with op.batch_alter_table("rel_organisation_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rel_organisation_versions_organisation_id_id",
            ["organisation_id", "id"],
            unique=False,
        )

    op.create_table(
        "rel_phone_numbers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("national", sa.String(length=64), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_rel_phone_numbers_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_rel_phone_numbers_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rel_phone_numbers")),
        sa.UniqueConstraint("uid", name=op.f("uq_rel_phone_numbers_uid")),
    )
    with op.batch_alter_table("rel_phone_numbers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rel_phone_numbers_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_rel_phone_numbers_institution_id_id", ["institution_id", "id"], unique=False
        )

    op.create_table(
        "rel_contact_versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("version", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_at", portico.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_guest", sa.Boolean(), nullable=False),
        sa.Column("audience", sa.String(length=64), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("additional_name", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_rel_contact_versions_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["rel_contacts.id"],
            name=op.f("fk_rel_contact_versions_contact_id_rel_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rel_contact_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_rel_contact_versions_version")),
    )
    with op.batch_alter_table("rel_contact_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rel_contact_versions_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_rel_contact_versions_contact_id_id", ["contact_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rel_contact_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_rel_contact_versions_contact_id_id")
        batch_op.drop_index(batch_op.f("ix_rel_contact_versions_account_id"))

    op.drop_table("rel_contact_versions")
    with op.batch_alter_table("rel_phone_numbers", schema=None) as batch_op:
        batch_op.drop_index("ix_rel_phone_numbers_institution_id_id")
        batch_op.drop_index(batch_op.f("ix_rel_phone_numbers_account_id"))

    op.drop_table("rel_phone_numbers")
    with op.batch_alter_table("rel_organisation_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_rel_organisation_versions_organisation_id_id")

    op.drop_table("rel_organisation_versions")
    with op.batch_alter_table("rel_contacts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_rel_contacts_institution_email",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index("ix_rel_contacts_institution_id_id")
        batch_op.drop_index(batch_op.f("ix_rel_contacts_account_id"))

    op.drop_table("rel_contacts")
    with op.batch_alter_table("rel_addresses", schema=None) as batch_op:
        batch_op.drop_index("ix_rel_addresses_institution_id_id")
        batch_op.drop_index(batch_op.f("ix_rel_addresses_account_id"))

    op.drop_table("rel_addresses")
    with op.batch_alter_table("rel_organisations", schema=None) as batch_op:
        batch_op.drop_index("ix_rel_organisations_institution_id_id")

    op.drop_table("rel_organisations")
