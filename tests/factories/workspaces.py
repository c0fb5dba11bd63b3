"""Workspace factories: the account's own workspace, extra members and custom roles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import utcnow
from portico.enums import JoinSource, RoleType
from portico.ids import new_biz_id
from portico.tenancy import across_workspaces
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole


async def owned_workspace(session: AsyncSession, *, owner: Account) -> Workspace:
    """The workspace the account registered with."""
    statement = (
        select(Workspace)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.account_id == owner.id, WorkspaceMember.is_owner.is_(True))
        .order_by(Workspace.id)
        .limit(1)
    )
    return (
        await session.execute(across_workspaces(statement, "the owner's own workspace"))
    ).scalar_one()


async def create_role(
    session: AsyncSession,
    *,
    workspace: Workspace,
    permission_codes: list[str],
    name: str | None = None,
) -> WorkspaceRole:
    role = WorkspaceRole(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        name=name or f"Role {new_biz_id(4)}",
        role_type=RoleType.CUSTOM,
        description=None,
        is_builtin=False,
        permission_codes=permission_codes,
    )
    session.add(role)
    await session.flush()
    return role


async def add_member(
    session: AsyncSession,
    *,
    workspace: Workspace,
    account: Account,
    permission_codes: list[str] | None = None,
    role: WorkspaceRole | None = None,
) -> WorkspaceMember:
    """Make `account` a member with `role` (or a new custom role holding `permission_codes`)."""
    if role is None:
        role = await create_role(
            session, workspace=workspace, permission_codes=permission_codes or []
        )
    now = utcnow()
    member = WorkspaceMember(
        workspace_id=workspace.id,
        account_id=account.id,
        role_id=role.id,
        join_source=JoinSource.INVITATION,
        is_owner=False,
        is_default=False,
        created_at=now,
        updated_at=now,
    )
    session.add(member)
    await session.flush()
    return member
