"""Wallet errors: a balance too small, a frozen or closed wallet, a currency that differs."""

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
