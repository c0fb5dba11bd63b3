"""Lists of the issuer API: `offset` (0 = the newest) and `limit`, a time window
(`startTime`/`endTime`, epoch milliseconds or ISO-8601), newest first, with the total."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.errors import InvalidParameter
from portico.paging import parse_time

T = TypeVar("T")
MAX_OFFSET = 1_000_000


@dataclass(frozen=True, slots=True)
class Window:
    offset: int = 0
    limit: int = 20
    start: datetime | None = None
    end: datetime | None = None


async def get_window(
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="0 is the newest")] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    start_time: Annotated[
        str | None, Query(alias="startTime", max_length=40, description="epoch ms or ISO-8601")
    ] = None,
    end_time: Annotated[str | None, Query(alias="endTime", max_length=40)] = None,
) -> Window:
    start, end = parse_time(start_time), parse_time(end_time)
    if start and end and start > end:
        raise InvalidParameter()
    return Window(offset=offset, limit=limit, start=start, end=end)


WindowDep = Annotated[Window, Depends(get_window)]


async def fetch(
    session: AsyncSession, statement: Select[Any], window: Window, created_at: Any
) -> tuple[list[Any], int]:
    """One window of `statement` (already ordered newest first) and the matching total."""
    if window.start is not None:
        statement = statement.where(created_at >= window.start)
    if window.end is not None:
        statement = statement.where(created_at <= window.end)
    options = statement.get_execution_options()
    count = select(func.count()).select_from(statement.order_by(None).subquery())
    total = (await session.execute(count.execution_options(**options))).scalar_one()
    rows = await session.execute(statement.offset(window.offset).limit(window.limit))
    return list(rows.scalars()), int(total)
