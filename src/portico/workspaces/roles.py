"""Roles of a workspace: custom roles, their permission codes, and members' roles."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import flush_unique, utcnow
from portico.enums import RoleType
from portico.errors import InvalidParameter, NotFound, PermissionDenied
from portico.ids import new_biz_id
from portico.tenancy import scoped
from portico.workspaces import permissions
from portico.workspaces.errors import (
    BuiltinRoleImmutable,
    OwnerIsPermanent,
    RoleInUse,
    RoleNameTaken,
)
from portico.workspaces.models import (
    ONE_ROLE_NAME,
    WorkspaceMember,
    WorkspaceRole,
    role_name_key,
)
from portico.workspaces.permissions import refuse_grants, role_permissions
from portico.workspaces.service import get_member


async def list_roles(session: AsyncSession, *, workspace_id: int) -> Sequence[WorkspaceRole]:
    return (
        (
            await session.execute(
                scoped(
                    select(WorkspaceRole).order_by(WorkspaceRole.id), WorkspaceRole, workspace_id
                )
            )
        )
        .scalars()
        .all()
    )


async def get_role(session: AsyncSession, *, workspace_id: int, role_biz_id: str) -> WorkspaceRole:
    """A role of this workspace; 404 for unknown ids and other workspaces' roles."""
    role = (
        await session.execute(
            scoped(
                select(WorkspaceRole).where(WorkspaceRole.biz_id == role_biz_id),
                WorkspaceRole,
                workspace_id,
            )
        )
    ).scalar_one_or_none()
    if role is None:
        raise NotFound()
    return role


async def _name_taken(
    session: AsyncSession, *, workspace_id: int, name: str, except_id: int | None = None
) -> bool:
    statement = select(WorkspaceRole.id).where(WorkspaceRole.name_key == role_name_key(name))
    if except_id is not None:
        statement = statement.where(WorkspaceRole.id != except_id)
    return (
        await session.execute(scoped(statement, WorkspaceRole, workspace_id))
    ).first() is not None


async def create_role(
    session: AsyncSession, *, workspace_id: int, name: str, description: str | None
) -> WorkspaceRole:
    """A new CUSTOM role with no permissions."""
    if await _name_taken(session, workspace_id=workspace_id, name=name):
        raise RoleNameTaken()
    now = utcnow()
    role = WorkspaceRole(
        biz_id=new_biz_id(),
        workspace_id=workspace_id,
        name=name,
        role_type=RoleType.CUSTOM,
        description=description,
        is_builtin=False,
        permission_codes=[],
        created_at=now,
        updated_at=now,
    )
    session.add(role)
    await flush_unique(session, ONE_ROLE_NAME, RoleNameTaken())
    return role


async def update_role(
    session: AsyncSession, *, role: WorkspaceRole, name: str | None, description: str | None
) -> None:
    """Rename or redescribe a custom role (built-in roles keep their documented names)."""
    if role.is_builtin or role.role_type == RoleType.OWNER:
        raise BuiltinRoleImmutable()
    if name is not None:
        if await _name_taken(session, workspace_id=role.workspace_id, name=name, except_id=role.id):
            raise RoleNameTaken()
        role.name = name
    if description is not None:
        role.description = description
    role.updated_at = utcnow()
    await flush_unique(session, ONE_ROLE_NAME, RoleNameTaken())


def set_permissions(
    role: WorkspaceRole, codes: list[str], *, actor_role: WorkspaceRole, held: frozenset[str]
) -> None:
    """Replace a role's permission codes; the OWNER role always holds everything.

    The caller may add only codes it holds itself, and may not edit the role it holds."""
    if role.role_type == RoleType.OWNER:
        raise BuiltinRoleImmutable()
    if any(not permissions.is_known(code) for code in codes):
        raise InvalidParameter()
    if role.id == actor_role.id:
        raise PermissionDenied()
    refuse_grants(held, set(codes) - role_permissions(role))
    ordered = [code for code in permissions.all_codes() if code in set(codes)]
    role.permission_codes = ordered
    role.updated_at = utcnow()


async def delete_role(session: AsyncSession, *, role: WorkspaceRole) -> None:
    """Delete a custom role that no member holds."""
    if role.is_builtin or role.role_type == RoleType.OWNER:
        raise BuiltinRoleImmutable()
    holders = (
        await session.execute(
            scoped(
                select(func.count(WorkspaceMember.id)).where(WorkspaceMember.role_id == role.id),
                WorkspaceMember,
                role.workspace_id,
            )
        )
    ).scalar_one()
    if holders:
        raise RoleInUse()
    await session.execute(
        scoped(
            delete(WorkspaceRole).where(WorkspaceRole.id == role.id),
            WorkspaceRole,
            role.workspace_id,
        )
    )


async def change_member_role(
    session: AsyncSession,
    *,
    workspace_id: int,
    actor: WorkspaceMember,
    held: frozenset[str],
    user_biz_id: str,
    role_biz_id: str,
) -> WorkspaceMember:
    """Give another member a role whose every permission the caller holds; the owner's role and
    the OWNER role are not assignable, and nobody changes their own role."""
    member = await get_member(session, workspace_id=workspace_id, user_biz_id=user_biz_id)
    role = await get_role(session, workspace_id=workspace_id, role_biz_id=role_biz_id)
    if member.is_owner or role.role_type == RoleType.OWNER:
        raise OwnerIsPermanent()
    if member.id == actor.id:
        raise PermissionDenied()
    refuse_grants(held, role_permissions(role))
    member.role_id = role.id
    member.updated_at = utcnow()
    await session.flush()
    return member
