"""The customer data store's tables.

Contacts and organisations are versioned: the row holds the current state and every write
(creation included) adds a snapshot row under a new `version` uuid, so `?version=` reads any
earlier state. Addresses and phone numbers are immutable value objects: a contact or an
organisation points at them by id in its `lists` (`{"billing": {"primary": id, "secondary":
[ids]}, ...}`), and a change is a new record and a new pointer.

`account_id` links a record to the consumer it describes (onboarding sets it), so deleting
the consumer anonymises them (`portico.rel.service.anonymise_customer_contacts`). Every column
that can hold a person's data is marked `pii(...)`; organisations are businesses' records, not
a person's, and carry `NOT_PII` where their names look personal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, UTCDateTime, utcnow
from portico.pii import ERASED_EMAIL, NOT_PII, pii

UID_LENGTH = 36  # a uuid4 in its canonical text form
ACTIVE = text("deleted_at IS NULL")


def _institution() -> Mapped[int]:
    return mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))


def _account() -> Mapped[int | None]:
    return mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)


class _ContactState:
    """The versioned fields of a contact (the row and each snapshot)."""

    is_guest: Mapped[bool] = mapped_column(Boolean, default=False)
    audience: Mapped[str] = mapped_column(String(64), default="default")
    tags: Mapped[list[str] | None] = mapped_column(JSON, info=pii([]))
    given_name: Mapped[str | None] = mapped_column(String(200), info=pii())
    additional_name: Mapped[str | None] = mapped_column(String(200), info=pii())
    family_name: Mapped[str | None] = mapped_column(String(200), info=pii())
    # References to addresses, phone numbers and organisation versions (ids, no personal data).
    lists: Mapped[dict[str, Any]] = mapped_column(JSON)
    details: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON, info=pii({}))


class RelContact(_ContactState, Base):
    __tablename__ = "rel_contacts"
    __table_args__ = (
        Index(
            "uq_rel_contacts_institution_email",
            "institution_id",
            "email",
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        ),
        Index("ix_rel_contacts_institution_id_id", "institution_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(UID_LENGTH), unique=True)
    institution_id: Mapped[int] = _institution()
    account_id: Mapped[int | None] = _account()
    email: Mapped[str] = mapped_column(String(320), info=pii(ERASED_EMAIL))
    version: Mapped[str] = mapped_column(String(UID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RelContactVersion(_ContactState, Base):
    __tablename__ = "rel_contact_versions"
    __table_args__ = (Index("ix_rel_contact_versions_contact_id_id", "contact_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("rel_contacts.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = _account()
    version: Mapped[str] = mapped_column(String(UID_LENGTH), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), info=pii())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class _OrganisationState:
    name: Mapped[str | None] = mapped_column(String(300), info=NOT_PII)
    file_id: Mapped[str | None] = mapped_column(String(64))
    coc_number: Mapped[str | None] = mapped_column(String(64), info=NOT_PII)
    account_manager: Mapped[str | None] = mapped_column(String(200))
    administration: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    details: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    registrations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    payment_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    lists: Mapped[dict[str, Any]] = mapped_column(JSON)


class RelOrganisation(_OrganisationState, Base):
    __tablename__ = "rel_organisations"
    __table_args__ = (Index("ix_rel_organisations_institution_id_id", "institution_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(UID_LENGTH), unique=True)
    institution_id: Mapped[int] = _institution()
    version: Mapped[str] = mapped_column(String(UID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RelOrganisationVersion(_OrganisationState, Base):
    __tablename__ = "rel_organisation_versions"
    __table_args__ = (
        Index("ix_rel_organisation_versions_organisation_id_id", "organisation_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("rel_organisations.id", ondelete="CASCADE")
    )
    version: Mapped[str] = mapped_column(String(UID_LENGTH), unique=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RelAddress(Base):
    __tablename__ = "rel_addresses"
    __table_args__ = (Index("ix_rel_addresses_institution_id_id", "institution_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(UID_LENGTH), unique=True)
    institution_id: Mapped[int] = _institution()
    account_id: Mapped[int | None] = _account()
    country_code: Mapped[str] = mapped_column(String(2))
    administrative_area: Mapped[str | None] = mapped_column(String(200), info=pii())
    locality: Mapped[str | None] = mapped_column(String(200), info=pii())
    dependent_locality: Mapped[str | None] = mapped_column(String(200), info=pii())
    postal_code: Mapped[str | None] = mapped_column(String(32), info=pii())
    sorting_code: Mapped[str | None] = mapped_column(String(32), info=pii())
    address_line_1: Mapped[str | None] = mapped_column(String(300), info=pii())
    address_line_2: Mapped[str | None] = mapped_column(String(300), info=pii())
    thoroughfare: Mapped[str | None] = mapped_column(String(300), info=pii())
    premise_number: Mapped[int | None] = mapped_column(Integer, info=pii())
    premise_number_suffix: Mapped[str | None] = mapped_column(String(32), info=pii())
    organisation: Mapped[str | None] = mapped_column(String(300), info=pii())
    given_name: Mapped[str | None] = mapped_column(String(200), info=pii())
    additional_name: Mapped[str | None] = mapped_column(String(200), info=pii())
    family_name: Mapped[str | None] = mapped_column(String(200), info=pii())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RelPhoneNumber(Base):
    __tablename__ = "rel_phone_numbers"
    __table_args__ = (Index("ix_rel_phone_numbers_institution_id_id", "institution_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(UID_LENGTH), unique=True)
    institution_id: Mapped[int] = _institution()
    account_id: Mapped[int | None] = _account()
    country_code: Mapped[str] = mapped_column(String(2))
    number: Mapped[str | None] = mapped_column(String(32), info=pii())
    national: Mapped[str | None] = mapped_column(String(64), info=pii())
    type: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
