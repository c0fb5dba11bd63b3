"""`/invitations...` (workspace side) and `/profile/invitations...` (received side)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from portico.auth.deps import CurrentPrincipal
from portico.deps import AuthKitDep, SessionDep
from portico.envelope import Created, Envelope, NoContent, created, no_content, ok
from portico.errors import NotFound, raises
from portico.invitations import service
from portico.invitations.errors import AlreadyMember, AlreadyPending, NotPending, TooManyPending
from portico.invitations.schemas import (
    InvitationCreateIn,
    InvitationDeclineIn,
    InvitationIdIn,
    InvitationOut,
)
from portico.web.context import PortalDep
from portico.workspaces.deps import MemberRead, MemberWrite
from portico.workspaces.schemas import MembershipOut

router = APIRouter(tags=["invitations"])


@router.get("/invitations", response_model=Envelope[list[InvitationOut]])
async def list_sent(context: MemberRead, session: SessionDep) -> Response:
    """Invitations sent by the current workspace, newest first (unanswered past expiry: EXPIRED)."""
    sent = await service.sent_by(session, workspace_id=context.workspace.id)
    return ok([InvitationOut.from_details(i) for i in sent])


@router.post("/invitations", response_model=Created[InvitationOut], status_code=201)
@raises(NotFound, AlreadyMember, AlreadyPending, TooManyPending)
async def create_invitation(
    body: InvitationCreateIn,
    context: MemberWrite,
    principal: CurrentPrincipal,
    ctx: PortalDep,
    session: SessionDep,
    kit: AuthKitDep,
) -> Response:
    """Invite an email to the current workspace with one of its roles (not OWNER) whose every
    permission the caller holds.

    The invitation is valid for 7 days, in this portal; the invitee is mailed.
    """
    invitation = await service.create_invitation(
        session,
        kit.mailer,
        workspace=context.workspace,
        inviter=principal.account,
        held=context.permissions,
        portal=ctx.portal,
        email=body.email,
        role_biz_id=body.role_id,
    )
    return created(InvitationOut.from_details(invitation))


@router.post("/invitations/cancel", response_model=NoContent)
@raises(NotFound, NotPending)
async def cancel_invitation(
    body: InvitationIdIn, context: MemberWrite, session: SessionDep
) -> Response:
    """Withdraw a pending invitation of the current workspace."""
    await service.cancel_invitation(
        session, workspace_id=context.workspace.id, invitation_biz_id=body.invitation_biz_id
    )
    return no_content()


@router.get("/profile/invitations", response_model=Envelope[list[InvitationOut]])
async def list_received(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """The caller's pending invitations (to its email, institution and portal), newest first."""
    received = await service.received_by(session, account=principal.account)
    return ok([InvitationOut.from_details(i) for i in received])


@router.post("/profile/invitations/accept", response_model=Envelope[MembershipOut])
async def accept_invitation(
    body: InvitationIdIn, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """Join the inviting workspace with the invitation's role; returns the new membership."""
    membership = await service.accept_invitation(
        session, account=principal.account, invitation_biz_id=body.invitation_biz_id
    )
    return ok(MembershipOut.from_membership(membership))


@router.post("/profile/invitations/decline", response_model=NoContent)
async def decline_invitation(
    body: InvitationDeclineIn, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """Decline a pending invitation, optionally with a reason (up to 500 characters)."""
    await service.decline_invitation(
        session,
        account=principal.account,
        invitation_biz_id=body.invitation_biz_id,
        reason=body.reason,
    )
    return no_content()
