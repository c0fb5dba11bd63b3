"""The issuer API's records: consumer lifecycle operations and the back-office audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow


class OperationType(StrEnum):
    """The issuer document's operation types (the ones Portico performs)."""

    DELETE = "DELETE"
    SUSPEND = "SUSPEND"
    RESUME = "RESUME"


class OperationStatus(StrEnum):
    SUCCESSFUL = "SUCCESSFUL"
    PENDING = "PENDING"
    FAILED = "FAILED"


class RequestorType(StrEnum):
    ISSUER = "ISSUER"
    USER = "USER"
    CCI = "CCI"


class ReasonCode(StrEnum):
    USER_DECISION = "USER_DECISION"
    ISSUER_DECISION = "ISSUER_DECISION"


class ConsumerOperation(Base):
    """One lifecycle operation on a consumer (`operationId` on the wire), kept 3 months.

    `consumer_biz_id` is kept beside the foreign key so the log of a deleted consumer still
    answers by its `consumerId`."""

    __tablename__ = "consumer_operations"
    __table_args__ = (Index("ix_consumer_operations_account_id_id", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    operation_id: Mapped[str] = mapped_column(String(64), unique=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    consumer_biz_id: Mapped[str] = mapped_column(String(16))
    operation: Mapped[OperationType] = mapped_column(EnumColumn(OperationType, 32))
    status: Mapped[OperationStatus] = mapped_column(EnumColumn(OperationStatus, 16))
    start_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requestor_type: Mapped[RequestorType] = mapped_column(EnumColumn(RequestorType, 8))
    requestor_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(64))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(256))
    correlation_id: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    """One back-office action: who (the issuer client, or the CLI), what, on what, when, and
    the request's correlation id. No personal data: targets are ids."""

    __tablename__ = "issuer_audit_events"
    __table_args__ = (Index("ix_issuer_audit_events_institution_id_id", "institution_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(24), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))
    actor_type: Mapped[str] = mapped_column(String(16))  # ISSUER_CLIENT | CLI
    actor_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(32))
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
