"""Creating a workspace: a SANDBOX one starts with its test balances."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.enums import JoinSource, WorkspaceKind
from portico.sandbox import service as sandbox_service
from portico.workspaces import service as workspace_service
from portico.workspaces.models import Workspace


async def create_workspace(
    session: AsyncSession,
    *,
    owner: Account,
    name: str,
    kind: WorkspaceKind,
    join_source: JoinSource,
    is_default: bool,
    timezone: str = "UTC",
) -> Workspace:
    """Create a workspace with its roles and the owner's membership; seed a sandbox."""
    workspace = await workspace_service.create_workspace(
        session,
        owner=owner,
        name=name,
        kind=kind,
        join_source=join_source,
        is_default=is_default,
        timezone=timezone,
    )
    if kind == WorkspaceKind.SANDBOX:
        await sandbox_service.seed(session, workspace=workspace)
    return workspace
