"""Invitation bodies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import StringConstraints

from portico.email_address import EmailAddress
from portico.enums import InvitationStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel

if TYPE_CHECKING:
    from portico.invitations.service import InvitationDetails

BizId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class InvitationOut(WireModel):
    biz_id: str
    workspace_biz_id: str
    workspace_name: str
    invitee_email: str
    role_biz_id: str
    role_name: str
    invited_by: str
    invitation_status: EnumObject[InvitationStatus]
    expires_at: UtcDateTime
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @classmethod
    def from_details(cls, details: InvitationDetails) -> InvitationOut:
        invitation, workspace, role = details.invitation, details.workspace, details.role
        return cls(
            biz_id=invitation.biz_id,
            workspace_biz_id=workspace.biz_id,
            workspace_name=workspace.name,
            invitee_email=invitation.email,
            role_biz_id=role.biz_id,
            role_name=role.name,
            invited_by=invitation.invited_by,
            invitation_status=details.status,
            expires_at=invitation.expires_at,
            created_at=invitation.created_at,
            updated_at=invitation.updated_at,
        )


class InvitationCreateIn(RequestModel):
    email: EmailAddress
    role_id: BizId


class InvitationIdIn(RequestModel):
    invitation_biz_id: BizId


class InvitationDeclineIn(InvitationIdIn):
    reason: Reason | None = None
