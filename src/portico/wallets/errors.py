"""Money errors: every business failure of a money flow, with a stable code."""

from __future__ import annotations

from portico.errors import AppError


class InsufficientBalance(AppError):
    code = "WALLET.INSUFFICIENT_BALANCE"
    message = "Insufficient balance"
    http_status = 400


class WalletFrozen(AppError):
    code = "WALLET.FROZEN"
    message = "Wallet is frozen"
    http_status = 400


class WalletClosed(AppError):
    code = "WALLET.CLOSED"
    message = "Wallet is closed"
    http_status = 400


class CurrencyMismatch(AppError):
    code = "WALLET.CURRENCY_MISMATCH"
    message = "Wallet currencies do not match"
    http_status = 400


class InvalidOrderState(AppError):
    code = "ORDER.INVALID_STATE"
    message = "Order cannot change from its current state"
    http_status = 400


class IdempotencyConflict(AppError):
    code = "REQUEST.IDEMPOTENCY_CONFLICT"
    message = "Idempotency key was already used with a different request"
    http_status = 409


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


class AmountOutOfRange(AppError):
    code = "RECHARGE.AMOUNT_OUT_OF_RANGE"
    message = "Amount is outside the channel's limits"
    http_status = 400
