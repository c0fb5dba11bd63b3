"""Referral code failures."""

from __future__ import annotations

from portico.errors import AppError


class ReferralCodeExists(AppError):
    code = "REFERRAL.CODE_EXISTS"
    message = "This workspace already has a referral code"
    http_status = 400


class ReferralCodeTaken(AppError):
    code = "REFERRAL.CODE_TAKEN"
    message = "Referral code is already in use"
    http_status = 400
