"""RFC 6749 §5.2 errors of the token endpoint, answered as `{"error","error_description"}`."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from portico.errors import AppError
from portico.web.error_shapes import ShapedError

NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


class OAuthError(AppError):
    """A token endpoint refusal: an RFC 6749 `error` code, its description and status.

    An `AppError`, so the unit of work rolls back (or, with `commit_changes`, commits a
    revocation) like any other refusal; the realm routes render it in the OAuth shape.
    """

    code = "OAUTH.ERROR"
    message = "OAuth error"
    http_status = 400

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        headers: dict[str, str] | None = None,
        commit_changes: bool = False,
    ) -> None:
        super().__init__(description, commit_changes=commit_changes)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}


def invalid_request(description: str = "The request is malformed") -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_client(*, realm: str, basic: bool) -> OAuthError:
    """Client authentication failed (unknown client, wrong secret, disabled or revoked):
    401, with a Basic challenge when the client tried Basic (RFC 6749 §5.2)."""
    headers = {"WWW-Authenticate": f'Basic realm="{realm}"'} if basic else {}
    return OAuthError("invalid_client", "Client authentication failed", status=401, headers=headers)


def too_many_attempts() -> OAuthError:
    return OAuthError(
        "invalid_client",
        "Too many failed attempts; try again later",
        status=429,
        headers={"Retry-After": "60"},
    )


def invalid_grant(*, commit_changes: bool = False) -> OAuthError:
    return OAuthError(
        "invalid_grant",
        "The refresh token is invalid, expired or revoked",
        commit_changes=commit_changes,
    )


def unsupported_grant_type() -> OAuthError:
    return OAuthError(
        "unsupported_grant_type",
        "Supported grant types: client_credentials, refresh_token",
    )


def invalid_scope() -> OAuthError:
    return OAuthError("invalid_scope", "The requested scope exceeds the client's scopes")


def realm_not_found() -> OAuthError:
    return OAuthError("invalid_request", "Realm does not exist", status=404)


def invalid_token() -> OAuthError:
    """A bearer token that is missing, malformed, expired or of a client refused since."""
    return OAuthError(
        "invalid_token",
        "The access token is invalid or expired",
        status=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


async def handle_oauth_error(request: Request, exc: Exception) -> Response:
    """`{"error","error_description"}` with the error's status and headers, never cached."""
    if not isinstance(exc, OAuthError):  # pragma: no cover - registered for OAuthError only
        raise exc
    body = json.dumps(
        {"error": exc.error, "error_description": exc.description}, separators=(",", ":")
    ).encode()
    headers = {**dict(NO_STORE), **exc.headers}
    return Response(body, status_code=exc.status, media_type="application/json", headers=headers)


# Other refusals under /auth/realms/ (unknown path, wrong method, body too large, a server
# failure) in the same shape.
_OAUTH_CODES = {500: "server_error", 503: "temporarily_unavailable"}


def shape(status: int, code: str, message: str) -> ShapedError:
    error = _OAUTH_CODES.get(status, "invalid_request")
    return ShapedError({"error": error, "error_description": message}, NO_STORE)
