"""Institutions (issuers) and the portal access codes their front ends present."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import AccountPortal
from portico.pii import NOT_PII


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    issuer_id: Mapped[str] = mapped_column(String(10), unique=True)
    # The token endpoint's realm (`/auth/realms/{realm}/...`): the issuerId unless set.
    # A unique index, not a constraint: SQLite adds it without rebuilding the table (a rebuild
    # drops the old one, and its ON DELETE CASCADE children with it).
    realm: Mapped[str] = mapped_column(
        String(64), index=True, unique=True, server_default="", info=NOT_PII
    )
    name: Mapped[str] = mapped_column(String(200), info=NOT_PII)
    # The ID document types partners may onboard customers with (`portico issuer
    # set-id-types`); NULL means the platform's default list (`portico.onboarding.masterdata`).
    id_types: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PortalAccessCode(Base):
    __tablename__ = "portal_access_codes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    portal: Mapped[AccountPortal] = mapped_column(EnumColumn(AccountPortal, 20))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
