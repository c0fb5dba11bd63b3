"""Account state failures: what an account (or its workspace's owner) may not do yet."""

from __future__ import annotations

from portico.errors import AppError


class PendingApproval(AppError):
    code = "ACCOUNT.PENDING_APPROVAL"
    message = "Account is pending approval"
    http_status = 403


class AccountInactive(AppError):
    code = "ACCOUNT.NOT_ACTIVE"
    message = "Account is not active"
    http_status = 403
