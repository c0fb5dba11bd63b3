"""Order state changes that race safely: a conditional UPDATE that only one caller wins."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import affected_rows
from portico.ledger.errors import InvalidOrderState
from portico.tenancy import scoped


async def transition(
    session: AsyncSession,
    order: Any,
    *,
    allowed_from: Iterable[str],
    values: dict[str, Any],
) -> None:
    """Move `order` to new `values` only if its status is still one of `allowed_from`;
    otherwise `400 ORDER.INVALID_STATE` (cancel after completion, double approve …)."""
    model = type(order)
    allowed = [str(status) for status in allowed_from]
    statement = scoped(
        update(model).where(model.id == order.id, model.status.in_(allowed)),
        model,
        order.workspace_id,
    ).values(**values)
    result = await session.execute(statement.execution_options(synchronize_session=False))
    if affected_rows(result) != 1:
        raise InvalidOrderState()
    for key, value in values.items():
        setattr(order, key, value)
