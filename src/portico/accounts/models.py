"""Accounts: one per email, institution and portal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import AccountPortal, AccountStatus
from portico.pii import ERASED_EMAIL, NOT_PII, pii

ONE_ACCOUNT_PER_EMAIL = UniqueConstraint("institution_id", "portal", "email")


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (ONE_ACCOUNT_PER_EMAIL,)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    portal: Mapped[AccountPortal] = mapped_column(EnumColumn(AccountPortal, 20))
    email: Mapped[str] = mapped_column(String(320), info=pii(ERASED_EMAIL))
    phone: Mapped[str | None] = mapped_column(String(32), info=pii())
    name: Mapped[str | None] = mapped_column(String(200), info=pii())
    remark: Mapped[str | None] = mapped_column(String(500), info=pii())
    status: Mapped[AccountStatus] = mapped_column(
        EnumColumn(AccountStatus, 20), default=AccountStatus.ACTIVE
    )
    # A partner awaits the issuer's approval (`partners.service`): pending, then approved
    # (`pending_approval` false) or REJECTED (the status), with the decision's time and reason.
    pending_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    approval_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    default_language: Mapped[str] = mapped_column(String(16), default="en")
    default_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    default_country: Mapped[str] = mapped_column(String(2), default="US")
    max_sessions: Mapped[int] = mapped_column(Integer, default=3)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_ip: Mapped[str | None] = mapped_column(String(64), info=pii())
    ip_whitelist_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), info=NOT_PII
    )
    ip_whitelist: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default="[]", info=pii([])
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
