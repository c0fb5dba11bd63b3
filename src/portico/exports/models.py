"""Exports: a file of a workspace's records, written in the background.

The row is the source of truth for the job: a worker claims it with a lease (`lease_token`,
`lease_expires_at`) that it renews while it writes; a worker that dies leaves the lease to run
out, and the maintenance job hands the export to another worker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import ExportStatus
from portico.pii import NOT_PII


class Export(Base):
    __tablename__ = "exports"
    __table_args__ = (
        Index("ix_exports_workspace_id_id", "workspace_id", "id"),
        Index("ix_exports_status_lease_expires_at", "status", "lease_expires_at"),
        Index("ix_exports_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    workspace_biz_id: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(16))
    export_type: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(10))
    filter_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filter_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filter_wallet_id: Mapped[int | None] = mapped_column(BigInteger)
    filter_wallet_biz_id: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[ExportStatus] = mapped_column(EnumColumn(ExportStatus, 20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_token: Mapped[str | None] = mapped_column(String(40))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    storage_key: Mapped[str | None] = mapped_column(String(300))
    # Made by the server from the export's type and time, never from a person's data.
    file_name: Mapped[str | None] = mapped_column(String(255), info=NOT_PII)
    content_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    row_count: Mapped[int | None] = mapped_column(Integer)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the expired file was deleted from the store
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
