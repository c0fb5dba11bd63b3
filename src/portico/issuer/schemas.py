"""Issuer API bodies: bare JSON objects (no envelope), camelCase keys, explicit nulls, times
as ISO 8601 UTC with milliseconds (`2022-06-16T06:28:02.492Z`, as the issuer document shows)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, PlainSerializer, StringConstraints

from portico.envelope import RequestModel, WireModel
from portico.issuer.models import AuditEvent, ConsumerOperation

T = TypeVar("T")


def _millis(value: datetime) -> str:
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


IsoTime = Annotated[datetime, PlainSerializer(_millis, return_type=str)]
Reason = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9 ]{1,64}$")]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["RESOURCE.NOT_FOUND"])
    message: str = Field(examples=["Resource not found"])


class ErrorOut(BaseModel):
    """Every refusal of the issuer API (400, 401, 403, 404, 409, 413, 429, 5xx)."""

    error: ErrorDetail


class OperationIn(RequestModel):
    """`reason` is returned in the operations list; `reasonCode` defaults to ISSUER_DECISION."""

    reason: Reason | None = None
    reason_code: Literal["USER_DECISION", "ISSUER_DECISION"] | None = None


class OperationResultOut(WireModel):
    operation_id: str
    status: Literal["SUCCESSFUL", "PENDING", "FAILED"]


class OperationOut(WireModel):
    operation_id: str
    operation: Literal["DELETE", "SUSPEND", "RESUME"]
    status: Literal["SUCCESSFUL", "PENDING", "FAILED"]
    start_time: IsoTime
    end_time: IsoTime | None
    requestor_type: Literal["ISSUER", "USER", "CCI"]
    requestor_id: str
    reason: str | None
    reason_code: Literal["USER_DECISION", "ISSUER_DECISION"] | None
    details: dict[str, Any] | None
    error_code: str | None
    error: str | None

    @classmethod
    def from_row(cls, row: ConsumerOperation) -> OperationOut:
        return cls.model_validate(
            {
                "operation_id": row.operation_id,
                "operation": row.operation,
                "status": row.status,
                "start_time": row.start_time,
                "end_time": row.end_time,
                "requestor_type": row.requestor_type,
                "requestor_id": row.requestor_id,
                "reason": row.reason,
                "reason_code": row.reason_code,
                "details": row.details,
                "error_code": row.error_code,
                "error": row.error,
            }
        )


class OperationListOut(WireModel):
    """Newest first; `remainingOperations` counts those after this page."""

    operations: list[OperationOut]
    remaining_operations: int


class ListOut(WireModel, Generic[T]):
    """A window of a back-office list, newest first."""

    items: list[T]
    offset: int
    limit: int
    total: int


class AuditEventOut(WireModel):
    event_id: str
    actor_type: Literal["ISSUER_CLIENT", "CLI"]
    actor_id: str
    action: str
    target_type: str
    target_id: str
    outcome: str | None
    correlation_id: str | None
    request_id: str | None
    created_at: IsoTime

    @classmethod
    def from_row(cls, row: AuditEvent) -> AuditEventOut:
        return cls.model_validate(row, from_attributes=True)
