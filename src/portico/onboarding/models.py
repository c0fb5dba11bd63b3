"""An onboarded customer's KYC profile (one per consumer account) and its subscriptions to
partners (one per consumer and partner workspace)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.pii import NOT_PII, pii


class ComplianceStatus(StrEnum):
    """The issuer's flag on a customer (`NONE` when not flagged)."""

    NONE = "NONE"
    UNDER_INVESTIGATION = "UNDER_INVESTIGATION"
    BLOCKED = "BLOCKED"


class SubscriptionStatus(StrEnum):
    PENDING = "PENDING"  # onboarded, the customer has not signed in yet
    ACTIVE = "ACTIVE"  # the customer has signed in since


class KycProfile(Base):
    """The identity a partner verified: the ID document (its number sealed, found through a
    keyed blind index), the KYC result and the document images (files of the consumer's
    workspace)."""

    __tablename__ = "kyc_profiles"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    given_name: Mapped[str | None] = mapped_column(String(100), info=pii())
    middle_name: Mapped[str | None] = mapped_column(String(100), info=pii())
    family_name: Mapped[str | None] = mapped_column(String(100), info=pii())
    birth_date: Mapped[date | None] = mapped_column(Date, info=pii())
    gender: Mapped[str | None] = mapped_column(String(20), info=pii())
    nationality: Mapped[str | None] = mapped_column(String(2), info=pii())
    id_type: Mapped[str | None] = mapped_column(String(40), info=pii())
    id_country: Mapped[str | None] = mapped_column(String(2), info=pii())
    # Fernet-sealed (`portico.crypto.SecretBox`): the number is never stored or logged in clear.
    id_number_sealed: Mapped[str | None] = mapped_column(String(500), info=pii())
    # HMAC-SHA256 of (type, country, normalised number) under a key of its own: the only way
    # a customer is found by its document; NULL once erased (NULLs never collide).
    id_blind_index: Mapped[str | None] = mapped_column(String(64), info=pii())
    id_issue_date: Mapped[date | None] = mapped_column(Date, info=pii())
    id_expiry_date: Mapped[date | None] = mapped_column(Date, info=pii())
    kyc_level: Mapped[str] = mapped_column(String(20), info=NOT_PII)
    screening_status: Mapped[str] = mapped_column(String(30), info=NOT_PII)
    partner_kyc_reference: Mapped[str | None] = mapped_column(String(100), info=pii())
    # The partner workspace whose onboarding last wrote this profile.
    kyc_source_workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="SET NULL"), index=True
    )
    extra_data: Mapped[dict[str, Any] | None] = mapped_column(JSON, info=pii())
    id_front_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("files.id", ondelete="SET NULL"), index=True
    )
    id_back_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("files.id", ondelete="SET NULL"), index=True
    )
    face_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("files.id", ondelete="SET NULL"), index=True
    )
    compliance_status: Mapped[ComplianceStatus] = mapped_column(
        EnumColumn(ComplianceStatus, 30), default=ComplianceStatus.NONE
    )
    compliance_reason: Mapped[str | None] = mapped_column(String(500), info=pii())
    compliance_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# One customer per ID document and institution, whatever the number of parallel onboardings.
ONE_CUSTOMER_PER_DOCUMENT = Index(
    "uq_kyc_profiles_institution_id_blind_index",
    KycProfile.institution_id,
    KycProfile.id_blind_index,
    unique=True,
)


ONE_SUBSCRIPTION_PER_PARTNER = UniqueConstraint("account_id", "partner_workspace_id")


class Subscription(Base):
    """A customer's subscription to a partner (the partner's workspace whose API key
    onboarded it)."""

    __tablename__ = "onboarding_subscriptions"
    __table_args__ = (ONE_SUBSCRIPTION_PER_PARTNER,)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    partner_workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[SubscriptionStatus] = mapped_column(
        EnumColumn(SubscriptionStatus, 20), default=SubscriptionStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
