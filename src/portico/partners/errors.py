"""Partner approval failures (the issuer's side)."""

from __future__ import annotations

from portico.errors import AppError


class NotAwaitingApproval(AppError):
    code = "PARTNER.NOT_PENDING"
    message = "The partner account is not awaiting this decision"
    http_status = 400
