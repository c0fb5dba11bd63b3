"""Account security failures."""

from __future__ import annotations

from portico.errors import AppError


class MfaCodeRejected(AppError):
    code = "MFA.CODE_INVALID"
    message = "Invalid verification code"
    http_status = 400


class TotpAlreadyEnabled(AppError):
    code = "MFA.TOTP_ALREADY_ENABLED"
    message = "Authenticator app is already enabled"
    http_status = 400


class TotpNotSetUp(AppError):
    code = "MFA.TOTP_NOT_SET_UP"
    message = "Authenticator app is not set up"
    http_status = 400


class IpNotAllowed(AppError):
    code = "ACCESS.IP_NOT_ALLOWED"
    message = "Access from this IP address is not allowed"
    http_status = 403


class WhitelistExcludesCaller(AppError):
    code = "SECURITY.IP_WHITELIST_EXCLUDES_CALLER"
    message = "The IP whitelist must include your current IP address"
    http_status = 400
