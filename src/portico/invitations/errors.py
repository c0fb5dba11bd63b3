"""Invitation failures (workspace side; the received side answers the documented 400)."""

from __future__ import annotations

from portico.errors import AppError


class AlreadyMember(AppError):
    code = "INVITATION.ALREADY_MEMBER"
    message = "This person is already a member of the workspace"
    http_status = 400


class AlreadyPending(AppError):
    code = "INVITATION.ALREADY_PENDING"
    message = "A pending invitation for this email already exists"
    http_status = 400


class NotPending(AppError):
    code = "INVITATION.NOT_PENDING"
    message = "The invitation is no longer pending"
    http_status = 400


class TooManyPending(AppError):
    code = "INVITATION.LIMIT_REACHED"
    message = "The workspace has too many pending invitations"
    http_status = 400
