"""Export bodies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from portico.enums import ExportStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel
from portico.exports.models import Export

ExportType = Literal["WALLET_FLOWS", "TRANSFERS", "RECHARGES", "WITHDRAWALS", "EXCHANGES"]
ExportFormat = Literal["CSV", "XLSX"]
# epoch milliseconds, or an ISO-8601 date-time (UTC when it names no offset)
TimeIn = (
    Annotated[int, Field(ge=0, le=253_402_300_799_999)]
    | Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
)
BizId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class ExportFiltersIn(RequestModel):
    start_time: TimeIn | None = None
    end_time: TimeIn | None = None
    wallet_biz_id: BizId | None = None


class ExportCreateIn(RequestModel):
    export_type: ExportType
    format: ExportFormat
    filters: ExportFiltersIn | None = None


class ExportFiltersOut(WireModel):
    start_time: UtcDateTime | None
    end_time: UtcDateTime | None
    wallet_biz_id: str | None


class ExportOut(WireModel):
    biz_id: str
    export_type: str
    format: str
    export_status: EnumObject[ExportStatus]
    filters: ExportFiltersOut
    file_name: str | None
    file_size: int | None
    row_count: int | None
    failure_reason: str | None
    created_at: UtcDateTime
    completed_at: UtcDateTime | None
    expires_at: UtcDateTime | None

    @classmethod
    def from_row(cls, row: Export) -> ExportOut:
        return cls(
            biz_id=row.biz_id,
            export_type=row.export_type,
            format=row.format,
            export_status=row.status,
            filters=ExportFiltersOut(
                start_time=row.filter_start,
                end_time=row.filter_end,
                wallet_biz_id=row.filter_wallet_biz_id,
            ),
            file_name=row.file_name if row.status == ExportStatus.COMPLETED else None,
            file_size=row.file_size,
            row_count=row.row_count,
            failure_reason=row.failure_reason,
            created_at=row.created_at,
            completed_at=row.completed_at,
            expires_at=row.expires_at,
        )
