"""Idempotency errors: a key used again with a different request."""

from __future__ import annotations

from portico.errors import AppError


class IdempotencyConflict(AppError):
    code = "REQUEST.IDEMPOTENCY_CONFLICT"
    message = "Idempotency key was already used with a different request"
    http_status = 409
