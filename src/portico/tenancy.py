"""The tenancy guard: every query of a workspace-owned model goes through `scoped`.

A guard on the app's sessions refuses (as an internal error, caught by the tests) any SELECT,
UPDATE or DELETE of a workspace-owned model that was not built by `scoped` or explicitly marked
`across_workspaces` with a reason.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import Table, event, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, registry
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from portico.errors import InternalError, NotFound

S = TypeVar("S", bound=Executable)
M = TypeVar("M")
MAX_BIZ_ID = 64  # wider than any stored bizId: a longer one is simply unknown
SCOPE_OPTION = "portico_workspace_scope"


class UnscopedQuery(InternalError):
    """A workspace-owned model was queried without the scope helper (a bug, never a user error)."""


def _owned(mapper: Mapper[Any]) -> bool:
    return "workspace_id" in mapper.columns


def is_workspace_owned(model: type[Any]) -> bool:
    """Whether `model` is mapped with a `workspace_id` column."""
    mapper = inspect(model, raiseerr=False)
    return mapper is not None and _owned(mapper)


def workspace_owned_models(models: registry) -> frozenset[type[Any]]:
    """Every class of the `models` registry with a `workspace_id` column."""
    return frozenset(mapper.class_ for mapper in models.mappers if _owned(mapper))


def scoped(statement: S, model: type[Any], workspace_id: int) -> S:
    """Restrict `statement` to rows of `model` in the workspace."""
    if not is_workspace_owned(model):
        raise TypeError(f"{model.__name__} is not workspace-owned")
    restricted = cast(S, statement.where(model.workspace_id == workspace_id))  # type: ignore[attr-defined]
    return restricted.execution_options(**{SCOPE_OPTION: "workspace"})


def across_workspaces(statement: S, reason: str) -> S:
    """Mark a deliberate cross-workspace query (the caller's own memberships, say)."""
    return statement.execution_options(**{SCOPE_OPTION: reason})


async def get_in_workspace(
    session: AsyncSession, model: type[M], *, workspace_id: int, biz_id: str
) -> M:
    """The workspace's `model` row with this `bizId`; an unknown id, or another workspace's,
    is `404 RESOURCE.NOT_FOUND`."""
    statement = select(model).where(model.biz_id == biz_id[:MAX_BIZ_ID])  # type: ignore[attr-defined]
    found = (await session.execute(scoped(statement, model, workspace_id))).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


async def get_across_workspaces(
    session: AsyncSession, model: type[M], *, biz_id: str, reason: str
) -> M:
    """A `model` row by `bizId` in any workspace (the issuer's back office), else 404."""
    statement = select(model).where(model.biz_id == biz_id[:MAX_BIZ_ID])  # type: ignore[attr-defined]
    found = (await session.execute(across_workspaces(statement, reason))).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


class AppSession(Session):
    """The session class of request transactions: it carries the scope guard."""


@event.listens_for(AppSession, "do_orm_execute")
def _guard(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get(SCOPE_OPTION):
        return
    for mapper in state.all_mappers:
        if _owned(mapper):
            raise UnscopedQuery(f"unscoped query of {mapper.class_.__name__}")
    # a workspace-owned table reached through a join or a subquery counts too
    statement = state.statement
    if not isinstance(statement, ClauseElement):  # pragma: no cover - ORM statements are
        return
    for table in find_tables(statement, include_joins=True, include_aliases=True):
        if isinstance(table, Table) and "workspace_id" in table.c:
            raise UnscopedQuery(f"unscoped query of {table.name}")
