"""`/workspaces...`: create, current, mine, default, leave, update, members."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from portico.auth.deps import CurrentPrincipal
from portico.constants import data as constants
from portico.deps import SessionDep
from portico.enums import JoinSource, WorkspaceKind
from portico.envelope import Created, Envelope, NoContent, created, no_content, ok
from portico.errors import InvalidParameter, NotFound, raises
from portico.flows import workspaces as workspace_flows
from portico.workspaces import service as workspace_service
from portico.workspaces.deps import (
    AnyMember,
    MemberRead,
    MemberWrite,
    WorkspaceWrite,
)
from portico.workspaces.errors import OwnerCannotLeave, OwnerIsPermanent
from portico.workspaces.models import Workspace
from portico.workspaces.schemas import (
    MemberOut,
    MemberRemoveIn,
    MembershipOut,
    WorkspaceCreateIn,
    WorkspaceOut,
    WorkspaceUpdateIn,
)

router = APIRouter(tags=["workspaces"])


async def _workspace_out(session: AsyncSession, workspace: Workspace) -> WorkspaceOut:
    institution = await workspace_service.institution_biz_id(session, workspace.institution_id)
    return WorkspaceOut.from_row(workspace, institution_biz_id=institution)


@router.post("/workspaces", response_model=Created[WorkspaceOut], status_code=201)
async def create_workspace(
    body: WorkspaceCreateIn, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """Create a workspace (LIVE or SANDBOX); the caller becomes its owner."""

    if body.workspace_timezone not in constants.timezone_ids():
        raise InvalidParameter("workspaceTimezone")
    workspace = await workspace_flows.create_workspace(
        session,
        owner=principal.account,
        name=body.workspace_name,
        kind=WorkspaceKind(body.workspace_kind),
        join_source=JoinSource.CREATION,
        is_default=False,
        timezone=body.workspace_timezone,
    )
    return created(await _workspace_out(session, workspace))


@router.get("/workspaces/current", response_model=Envelope[WorkspaceOut])
async def current_workspace(context: AnyMember, session: SessionDep) -> Response:
    """The workspace named by `X-Workspace-Id`, or the caller's default."""
    return ok(await _workspace_out(session, context.workspace))


@router.get("/workspaces/mine", response_model=Envelope[list[MembershipOut]])
async def my_workspaces(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """Every workspace the caller belongs to, as memberships (default first)."""
    memberships = await workspace_service.memberships_of(session, account=principal.account)
    return ok([MembershipOut.from_membership(m) for m in memberships])


@router.post("/workspaces/current/default", response_model=Envelope[MembershipOut])
async def make_default(
    context: AnyMember, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """Make the current workspace the caller's default."""
    await workspace_service.make_default(
        session, account=principal.account, membership=context.membership
    )
    await session.flush()
    membership = await workspace_service.get_membership(
        session, membership_id=context.membership.id, workspace_id=context.workspace.id
    )
    return ok(MembershipOut.from_membership(membership))


@router.post("/workspaces/current/leave", response_model=NoContent)
@raises(OwnerCannotLeave)
async def leave_workspace(context: AnyMember, session: SessionDep) -> Response:
    """Leave the current workspace (its owner cannot)."""
    await workspace_service.leave(session, membership=context.membership)
    return no_content()


@router.post("/workspaces/current/update", response_model=Envelope[WorkspaceOut])
async def update_workspace(
    body: WorkspaceUpdateIn, context: WorkspaceWrite, session: SessionDep
) -> Response:
    """Rename the current workspace or change its time zone (both optional)."""
    await workspace_service.update_workspace(
        context.workspace, name=body.workspace_name, timezone=body.workspace_timezone
    )
    await session.flush()
    return ok(await _workspace_out(session, context.workspace))


@router.get("/workspaces/current/members", response_model=Envelope[list[MemberOut]])
async def list_members(context: MemberRead, session: SessionDep) -> Response:
    """The members of the current workspace, owner first."""
    members = await workspace_service.members_of(session, workspace=context.workspace)
    return ok([MemberOut.from_membership(m) for m in members])


@router.post("/workspaces/current/members/remove", response_model=NoContent)
@raises(NotFound, OwnerIsPermanent)
async def remove_member(
    body: MemberRemoveIn, context: MemberWrite, session: SessionDep
) -> Response:
    """Remove a member from the current workspace (never the owner)."""
    await workspace_service.remove_member(
        session, workspace_id=context.workspace.id, user_biz_id=body.user_biz_id
    )
    return no_content()
