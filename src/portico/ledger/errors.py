"""Order errors: a status change the order's state machine refuses."""

from __future__ import annotations

from portico.errors import AppError


class InvalidOrderState(AppError):
    code = "ORDER.INVALID_STATE"
    message = "Order cannot change from its current state"
    http_status = 400
