"""Recharge errors: an amount outside the channel's limits."""

from __future__ import annotations

from portico.errors import AppError


class AmountOutOfRange(AppError):
    code = "RECHARGE.AMOUNT_OUT_OF_RANGE"
    message = "Amount is outside the channel's limits"
    http_status = 400
