"""Workspace-owned models are only ever queried through the scope helper."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select, update

import portico.models as models
from portico.accounts.models import Account
from portico.api_keys.models import ApiKey
from portico.db import Base, Database
from portico.invitations.models import Invitation
from portico.tenancy import (
    UnscopedQuery,
    across_workspaces,
    scoped,
    workspace_owned_models,
)
from portico.workspaces.models import WorkspaceMember, WorkspaceRole


def test_every_model_with_a_workspace_id_is_listed() -> None:
    with_workspace_id = {
        cls
        for cls in vars(models).values()
        if isinstance(cls, type)
        and hasattr(cls, "__table__")
        and "workspace_id" in cls.__table__.columns
    }
    assert workspace_owned_models(Base.registry) == with_workspace_id
    assert {WorkspaceRole, WorkspaceMember, ApiKey, Invitation} <= workspace_owned_models(
        Base.registry
    )


@pytest.mark.parametrize(
    "model",
    sorted(workspace_owned_models(Base.registry), key=lambda m: m.__name__),
    ids=lambda m: m.__name__,
)
async def test_unscoped_queries_are_refused(model: Any, database: Database) -> None:
    async with database.sessionmaker() as session:
        for statement in (
            select(model),
            update(model).values(workspace_id=model.workspace_id),
            delete(model),
        ):
            with pytest.raises(UnscopedQuery):
                await session.execute(statement)
        with pytest.raises(UnscopedQuery):
            await session.get(model, 1)
        # the helper, or a declared cross-workspace query, passes
        await session.execute(scoped(select(model), model, 1))
        await session.execute(across_workspaces(select(model), "test"))
        with pytest.raises(TypeError):
            scoped(select(model), type("NotOwned", (), {}), 1)


async def test_joins_and_subqueries_of_owned_tables_are_refused(database: Database) -> None:
    async with database.sessionmaker() as session:
        joined = select(Account).join(WorkspaceMember, WorkspaceMember.account_id == Account.id)
        with pytest.raises(UnscopedQuery):
            await session.execute(joined)
        inner = select(ApiKey.workspace_id).scalar_subquery()
        with pytest.raises(UnscopedQuery):
            await session.execute(select(Account).where(Account.id == inner))
        await session.execute(across_workspaces(joined, "test"))
