"""Exchange errors: a quote past its 30 seconds or already used, a pair without a rate."""

from __future__ import annotations

from portico.errors import AppError


class QuoteExpired(AppError):
    code = "EXCHANGE.QUOTE_EXPIRED"
    message = "Quote has expired"
    http_status = 400


class QuoteUsed(AppError):
    code = "EXCHANGE.QUOTE_USED"
    message = "Quote has already been used"
    http_status = 400


class RateUnavailable(AppError):
    code = "EXCHANGE.RATE_UNAVAILABLE"
    message = "No exchange rate for this currency pair"
    http_status = 400
