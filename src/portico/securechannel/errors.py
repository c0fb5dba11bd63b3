"""Secure channel failures."""

from __future__ import annotations

from portico.errors import AppError


class InvalidPayload(AppError):
    code = "SECURE_CHANNEL.INVALID_PAYLOAD"
    message = "Invalid payload format"
    http_status = 400
