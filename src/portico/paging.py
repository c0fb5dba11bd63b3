"""List parameters shared by the money lists: `page`/`pageSize` (alias `size`) and a time
window (`startTime`/`endTime`, epoch milliseconds or ISO-8601)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.envelope import Pagination
from portico.errors import InvalidParameter

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int
    page_size: int
    start: datetime | None
    end: datetime | None


def parse_time(value: str | None, field: str = "time") -> datetime | None:
    """Epoch milliseconds or an ISO-8601 date-time (UTC when no offset is given)."""
    if value is None or value == "":
        return None
    text = value.strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise InvalidParameter(field) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def get_page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int | None, Query(alias="pageSize", ge=1, le=100)] = None,
    size: Annotated[int | None, Query(ge=1, le=100)] = None,
    start_time: Annotated[str | None, Query(alias="startTime", max_length=40)] = None,
    end_time: Annotated[str | None, Query(alias="endTime", max_length=40)] = None,
) -> PageParams:
    start, end = parse_time(start_time, "startTime"), parse_time(end_time, "endTime")
    if start and end and start > end:
        raise InvalidParameter("startTime", "endTime")
    return PageParams(
        page=page, page_size=page_size or size or DEFAULT_PAGE_SIZE, start=start, end=end
    )


PageDep = Annotated[PageParams, Depends(get_page_params)]
# `walletBizId` of a money list: only one of the workspace's own wallets (else 404).
WalletFilter = Annotated[
    str | None,
    Query(
        alias="walletBizId",
        min_length=1,
        max_length=64,
        description="One of the workspace's wallets",
    ),
]


async def fetch_page(
    session: AsyncSession, statement: Select[T], params: PageParams, created_at: Any
) -> tuple[list[T], Pagination]:
    """One page of `statement` (already ordered), filtered by the time window on `created_at`."""
    if params.start:
        statement = statement.where(created_at >= params.start)
    if params.end:
        statement = statement.where(created_at <= params.end)
    count = select(func.count()).select_from(statement.order_by(None).subquery())
    options = statement.get_execution_options()
    total = int((await session.execute(count.execution_options(**options))).scalar_one())
    rows = await session.execute(
        statement.limit(params.page_size).offset((params.page - 1) * params.page_size)
    )
    pagination = Pagination.paged(total_records=total, page=params.page, page_size=params.page_size)
    return list(rows.scalars()), pagination
