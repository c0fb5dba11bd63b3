"""Issuer API refusals, and the API's one error body: `{"error": {"code", "message"}}`."""

from __future__ import annotations

from portico.errors import AppError, TokenInvalid, TokenMissing
from portico.web.error_shapes import ShapedError


class IssuerClientRequired(AppError):
    """A valid token, but not an issuer client's (a partner API key's, say)."""

    code = "ACCESS.ISSUER_CLIENT_REQUIRED"
    message = "This API accepts issuer client tokens only"
    http_status = 403


class IssuerMismatch(AppError):
    code = "ACCESS.ISSUER_MISMATCH"
    message = "The token's client belongs to another issuer"
    http_status = 403


class InsufficientScope(AppError):
    code = "ACCESS.INSUFFICIENT_SCOPE"
    message = "The token's scopes do not allow this request"
    http_status = 403


class OperationRefused(Exception):
    """A consumer operation that cannot be performed now: recorded as FAILED with its
    `errorCode` and `error`, having changed nothing else (not an HTTP error)."""

    def __init__(self, error_code: str, error: str) -> None:
        super().__init__(error)
        self.error_code = error_code
        self.error = error


BEARER = 'Bearer realm="issuer-api"'
_CHALLENGES = {
    TokenMissing.code: BEARER,
    TokenInvalid.code: f'{BEARER}, error="invalid_token"',
    InsufficientScope.code: f'{BEARER}, error="insufficient_scope"',
}


def shape(status: int, code: str, message: str) -> ShapedError:
    """The error body of every issuer API refusal, with an RFC 6750 challenge on 401 and on
    a missing scope."""
    challenge = _CHALLENGES.get(code)
    if challenge is None and status == 401:
        challenge = BEARER
    headers = (("WWW-Authenticate", challenge),) if challenge else ()
    return ShapedError({"error": {"code": code, "message": message}}, headers)
