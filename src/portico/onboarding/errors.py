"""Who may not call the onboarding API, and the API's one answer shape for every refusal that
does not come from a route (a token, a route that does not exist, a body too large, …)."""

from __future__ import annotations

from enum import StrEnum

from portico.errors import AppError
from portico.web.error_shapes import ShapedError


class AuthenticationFailed(AppError):
    """No bearer token, or one that is malformed, expired, revoked, or of a disabled key."""

    code = "AUTHENTICATION_FAILED"
    message = "The bearer token is missing, invalid or expired"
    http_status = 401


class PartnerKeyRequired(AppError):
    """A valid token, but not of a partner's API key (an issuer client's, a consumer's key)."""

    code = "PARTNER_KEY_REQUIRED"
    message = "This API accepts the tokens of partner API keys only"
    http_status = 403


class ScopeMissing(AppError):
    code = "INSUFFICIENT_SCOPE"
    message = "The token's scopes do not allow this request"
    http_status = 403


BEARER = 'Bearer realm="onboarding"'
# The platform's codes for what can refuse any request, as this API names them.
_CODES = {
    "VALIDATION.INVALID_PARAMETER": "BAD_REQUEST",
    "RESOURCE.NOT_FOUND": "NOT_FOUND",
    "REQUEST.METHOD_NOT_ALLOWED": "METHOD_NOT_ALLOWED",
    "REQUEST.BODY_TOO_LARGE": "BODY_TOO_LARGE",
    "REQUEST.CONFLICT": "CONFLICT",
    "SECURE_CHANNEL.INVALID_PAYLOAD": "BAD_REQUEST",
    "SYSTEM.INTERNAL_ERROR": "INTERNAL_ERROR",
    "SYSTEM.UNAVAILABLE": "SERVICE_UNAVAILABLE",
}


def shape(status: int, code: str, message: str) -> ShapedError:
    """`{"code","message","fields":[],"data":null}`, with an RFC 6750 challenge on 401."""
    headers: tuple[tuple[str, str], ...] = (("Cache-Control", "no-store"),)
    if status == 401:
        headers += (("WWW-Authenticate", f'{BEARER}, error="invalid_token"'),)
    elif code == ScopeMissing.code:
        headers += (("WWW-Authenticate", f'{BEARER}, error="insufficient_scope"'),)
    body: dict[str, object] = {
        "code": _CODES.get(code, code),
        "message": message,
        "fields": [],
        "data": None,
    }
    return ShapedError(body, headers)


class Reason(StrEnum):
    """Why an onboarding was refused once its request was read (the route answers each with
    the onboarding document's case)."""

    UNDER_INVESTIGATION = "UNDER_INVESTIGATION"  # the issuer flagged the known customer
    BLOCKED = "BLOCKED"
    IDENTITY_CHANGED = "IDENTITY_CHANGED"  # the update would change a verified identity field
    INVALID_FIELD_VALUE = "INVALID_FIELD_VALUE"  # a value the customer data store refuses


class OnboardingRefused(Exception):
    """An onboarding refused before anything is kept (the route rolls back), naming the
    request's fields where the reason has some."""

    def __init__(self, reason: Reason, fields: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.fields = list(dict.fromkeys(fields))
