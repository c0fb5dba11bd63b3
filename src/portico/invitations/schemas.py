"""Invitation bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from portico.email_address import EmailAddress
from portico.enums import InvitationStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel

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


class InvitationCreateIn(RequestModel):
    email: EmailAddress
    role_id: BizId


class InvitationIdIn(RequestModel):
    invitation_biz_id: BizId


class InvitationDeclineIn(InvitationIdIn):
    reason: Reason | None = None
