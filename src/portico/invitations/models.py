"""Invitations to join a workspace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import AccountPortal, InvitationStatus
from portico.pii import ERASED_EMAIL, pii

_PENDING = text("status = 'PENDING'")
# At most one PENDING invitation per email and workspace (an expired one is marked EXPIRED
# before a new one is made).
ONE_PENDING_PER_EMAIL = Index(
    "uq_invitations_workspace_id_email_pending",
    "workspace_id",
    "email",
    unique=True,
    sqlite_where=_PENDING,
    postgresql_where=_PENDING,
)


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (ONE_PENDING_PER_EMAIL,)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    portal: Mapped[AccountPortal] = mapped_column(EnumColumn(AccountPortal, 20))
    email: Mapped[str] = mapped_column(String(320), index=True, info=pii(ERASED_EMAIL))
    role_id: Mapped[int] = mapped_column(ForeignKey("workspace_roles.id", ondelete="CASCADE"))
    invited_by: Mapped[str] = mapped_column(String(16))  # the inviting account's bizId
    status: Mapped[InvitationStatus] = mapped_column(
        EnumColumn(InvitationStatus, 16), default=InvitationStatus.PENDING
    )
    decline_reason: Mapped[str | None] = mapped_column(String(500), info=pii())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
