"""`/roles...`: roles, their permissions, the permission tree, members' roles."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from portico.deps import SessionDep
from portico.enums import AccountPortal
from portico.envelope import Created, Envelope, NoContent, created, no_content, ok
from portico.errors import NotFound, raises
from portico.openapi import bare_204_on
from portico.web.context import PortalDep
from portico.workspaces import permissions, roles
from portico.workspaces import service as workspace_service
from portico.workspaces.deps import (
    MemberWrite,
    RoleRead,
    RoleWrite,
)
from portico.workspaces.errors import (
    BuiltinRoleImmutable,
    OwnerIsPermanent,
    RoleInUse,
    RoleNameTaken,
)
from portico.workspaces.schemas import (
    MemberRoleChangeIn,
    MembershipOut,
    PermissionNodeOut,
    RoleCreateIn,
    RoleIdIn,
    RoleOut,
    RolePermissionsIn,
    RoleUpdateIn,
)

router = APIRouter(tags=["roles"])


@router.get("/roles", response_model=Envelope[list[RoleOut]])
async def list_roles(context: RoleRead, session: SessionDep) -> Response:
    """The workspace's roles: the built-in OWNER and member roles first."""
    rows = await roles.list_roles(session, workspace_id=context.workspace.id)
    return ok([RoleOut.from_row(role, context.workspace) for role in rows])


@router.post("/roles", response_model=Created[RoleOut], status_code=201)
@raises(RoleNameTaken)
async def create_role(body: RoleCreateIn, context: RoleWrite, session: SessionDep) -> Response:
    """Create a custom role (no permissions yet)."""
    role = await roles.create_role(
        session,
        workspace_id=context.workspace.id,
        name=body.role_name,
        description=body.description,
    )
    return created(RoleOut.from_row(role, context.workspace))


@router.get("/roles/permissions/tree", response_model=Envelope[list[PermissionNodeOut]])
async def permission_tree(context: RoleRead) -> Response:
    """The permission catalogue: one node per permission code, with its group."""
    return ok(list(permissions.tree()))


@router.post("/roles/update", response_model=Envelope[RoleOut])
@raises(NotFound, BuiltinRoleImmutable, RoleNameTaken)
async def update_role(body: RoleUpdateIn, context: RoleWrite, session: SessionDep) -> Response:
    """Rename or redescribe a custom role."""
    role = await roles.get_role(
        session, workspace_id=context.workspace.id, role_biz_id=body.role_id
    )
    await roles.update_role(session, role=role, name=body.role_name, description=body.description)
    await session.flush()
    return ok(RoleOut.from_row(role, context.workspace))


@router.post("/roles/delete", response_model=NoContent)
@raises(NotFound, BuiltinRoleImmutable, RoleInUse)
@bare_204_on(AccountPortal.PARTNER)
async def delete_role(
    body: RoleIdIn, context: RoleWrite, session: SessionDep, ctx: PortalDep
) -> Response:
    """Delete a custom role no member holds (the partner portal answers a bare 204)."""
    role = await roles.get_role(
        session, workspace_id=context.workspace.id, role_biz_id=body.role_id
    )
    await roles.delete_role(session, role=role)
    if ctx.portal == AccountPortal.PARTNER:
        return Response(status_code=204)
    return no_content()


@router.post("/roles/permissions", response_model=Envelope[RoleOut])
@raises(NotFound, BuiltinRoleImmutable)
async def set_role_permissions(
    body: RolePermissionsIn, context: RoleWrite, session: SessionDep
) -> Response:
    """Replace a role's permission codes (adding only codes the caller holds; not its own role)."""
    role = await roles.get_role(
        session, workspace_id=context.workspace.id, role_biz_id=body.role_id
    )
    roles.set_permissions(
        role, body.permission_codes, actor_role=context.role, held=context.permissions
    )
    await session.flush()
    return ok(RoleOut.from_row(role, context.workspace))


@router.post("/roles/members/role/change", response_model=Envelope[MembershipOut])
@raises(NotFound, OwnerIsPermanent)
async def change_member_role(
    body: MemberRoleChangeIn, context: MemberWrite, session: SessionDep
) -> Response:
    """Move another member to a role whose every permission the caller holds."""
    member = await roles.change_member_role(
        session,
        workspace_id=context.workspace.id,
        actor=context.membership,
        held=context.permissions,
        user_biz_id=body.user_biz_id,
        role_biz_id=body.role_id,
    )
    membership = await workspace_service.get_membership(
        session, membership_id=member.id, workspace_id=context.workspace.id
    )
    return ok(MembershipOut.from_membership(membership))


@router.get("/roles/{roleBizId}", response_model=Envelope[RoleOut])
@raises(NotFound)
async def get_role(roleBizId: str, context: RoleRead, session: SessionDep) -> Response:
    """One role of the workspace."""
    role = await roles.get_role(session, workspace_id=context.workspace.id, role_biz_id=roleBizId)
    return ok(RoleOut.from_row(role, context.workspace))


@router.get("/roles/{roleBizId}/permissions", response_model=Envelope[list[str]])
@raises(NotFound)
async def get_role_permissions(
    roleBizId: str,
    context: RoleRead,
    session: SessionDep,
) -> Response:
    """A role's permission codes (the OWNER role: every code)."""
    role = await roles.get_role(session, workspace_id=context.workspace.id, role_biz_id=roleBizId)
    codes = permissions.role_permissions(role)
    return ok([code for code in permissions.all_codes() if code in codes])
