"""Sign-in failures."""

from __future__ import annotations

from portico.errors import AppError


class InvalidCredentials(AppError):
    code = "AUTH.INVALID_CREDENTIALS"
    message = "Invalid credentials"
    http_status = 401


class SessionNotFound(AppError):
    code = "AUTH.SESSION_NOT_FOUND"
    message = "Authentication session was not found"
    http_status = 404


class MfaCodeInvalid(AppError):
    code = "AUTH.MFA_CODE_INVALID"
    message = "Invalid verification code"
    http_status = 401


class TooManyAttempts(AppError):
    code = "AUTH.TOO_MANY_ATTEMPTS"
    message = "Too many attempts, please try again later"
    http_status = 429


class CaptchaInvalid(AppError):
    code = "AUTH.CAPTCHA_INVALID"
    message = "Captcha verification failed"
    http_status = 400


class ResetTokenInvalid(AppError):
    code = "AUTH.RESET_TOKEN_INVALID"
    message = "Password reset link is invalid or expired"
    http_status = 400


class PasswordIncorrect(AppError):
    code = "AUTH.PASSWORD_INCORRECT"
    message = "Current password is incorrect"
    http_status = 400


class AccountNotActive(AppError):
    code = "ACCESS.PERMISSION_DENIED"
    message = "Access denied"
    http_status = 403
