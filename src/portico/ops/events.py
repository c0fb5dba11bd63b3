"""Security events: each its own log line on `portico.security` (and, for sign-in, a metric).

The fields are ids, portals, reasons and the client IP: never an email, a password, a code or
a token."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import after_commit
from portico.ops import metrics
from portico.ops.logs import SECURITY

logger = logging.getLogger("portico.security")

SIGNIN_FAILED = "signin_failed"
LOCKOUT = "signin_locked"
MFA_CHANGED = "mfa_changed"
SESSION_ENDED = "session_ended"
PERMISSION_REFUSED = "permission_refused"
API_KEY_CREATED = "api_key_created"

Field = str | int | None


def security_event(event: str, **fields: Field) -> None:
    """Log `event` with its fields (the text format shows them as `key=value`)."""
    shown = {key: value for key, value in fields.items() if value is not None}
    text = " ".join(f"{key}={value}" for key, value in shown.items())
    logger.info("%s %s", event, text, extra={SECURITY: {"event": event, **shown}})


def signin_failed(*, portal: str, reason: str, account_id: str | None, ip: str) -> None:
    metrics.SIGNIN_FAILURES.labels(portal, reason).inc()
    security_event(SIGNIN_FAILED, portal=portal, reason=reason, account_id=account_id, ip=ip)


def locked_out(*, portal: str, scope: str, ip: str | None) -> None:
    metrics.LOCKOUTS.labels(portal, scope).inc()
    security_event(LOCKOUT, portal=portal, scope=scope, ip=ip)


def after_commit_event(session: AsyncSession, event: str, **fields: Field) -> None:
    """Log `event` once the request's transaction has committed (what it reports happened)."""

    async def log() -> None:
        security_event(event, **fields)

    after_commit(session, log)
