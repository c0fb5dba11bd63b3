"""The one error hierarchy and its mapping to the response envelope.

Every failure a client can see is an `AppError` with a fixed code, message and HTTP status.
Routes never raise `HTTPException`; `render` is the only place errors become responses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from starlette.responses import Response

from portico.envelope import error_response


class AppError(Exception):
    """A business or request failure with a documented code."""

    code: ClassVar[str] = "SYSTEM.INTERNAL_ERROR"
    message: ClassVar[str] = "Internal server error"
    http_status: ClassVar[int] = 500

    def __init__(self, detail: str | None = None, *, commit_changes: bool = False) -> None:
        super().__init__(detail or self.message)
        self.detail = detail
        # When true, the unit of work commits what the request wrote before the error is
        # returned (a failed login is recorded even though the answer is an error).
        self.commit_changes = commit_changes


class InternalError(AppError):
    pass


class InvalidParameter(AppError):
    code = "VALIDATION.INVALID_PARAMETER"
    message = "Invalid request parameters"
    http_status = 400

    def __init__(self, *fields: str, commit_changes: bool = False) -> None:
        super().__init__(commit_changes=commit_changes)
        self.fields = tuple(dict.fromkeys(fields))

    @property
    def answer(self) -> str:
        """The message sent: the fixed text, naming the offending fields when known
        (`Invalid request parameters: amount`)."""
        if not self.fields:
            return self.message
        return f"{self.message}: {', '.join(self.fields)}"


class FieldError(ValueError):
    """Raised by a model validator to name the request fields it refuses."""

    def __init__(self, *fields: str) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


class NotFound(AppError):
    code = "RESOURCE.NOT_FOUND"
    message = "Resource not found"
    http_status = 404


class PermissionDenied(AppError):
    code = "ACCESS.PERMISSION_DENIED"
    message = "Access denied"
    http_status = 403


class TokenMissing(AppError):
    code = "ACCESS.TOKEN_MISSING"
    message = "Authentication token is required"
    http_status = 401


class TokenInvalid(AppError):
    code = "ACCESS.TOKEN_INVALID"
    message = "Authentication token is invalid or expired"
    http_status = 401


class PortalCodeInvalid(AppError):
    code = "ACCESS.PORTAL_CODE_INVALID"
    message = "Portal access code is invalid"
    http_status = 403


class Conflict(AppError):
    code = "REQUEST.CONFLICT"
    message = "Request conflicts with the current state"
    http_status = 409


class Unavailable(AppError):
    code = "SYSTEM.UNAVAILABLE"
    message = "Service temporarily unavailable"
    http_status = 503


class MethodNotAllowed(AppError):
    code = "REQUEST.METHOD_NOT_ALLOWED"
    message = "Method not allowed"
    http_status = 405


class BodyTooLarge(AppError):
    code = "REQUEST.BODY_TOO_LARGE"
    message = "Request body is too large"
    http_status = 413


class UnsupportedMediaType(AppError):
    code = "REQUEST.UNSUPPORTED_MEDIA_TYPE"
    message = "Unsupported media type"
    http_status = 415


ERRORS_ATTRIBUTE = "__portico_errors__"
F = TypeVar("F", bound=Callable[..., Any])


def raises(*errors: type[AppError]) -> Callable[[F], F]:
    """Declare the failures a route or a dependency can answer (published in `/openapi.json`
    as each operation's error responses and `x-error-codes`)."""

    def mark(function: F) -> F:
        declared = (*getattr(function, ERRORS_ATTRIBUTE, ()), *errors)
        setattr(function, ERRORS_ATTRIBUTE, declared)
        return function

    return mark


def declared_errors(function: Any) -> tuple[type[AppError], ...]:
    errors: tuple[type[AppError], ...] = getattr(function, ERRORS_ATTRIBUTE, ())
    return errors


def all_error_classes() -> Iterable[type[AppError]]:
    """Every `AppError` subclass defined so far (each domain's `errors.py` included)."""
    pending: list[type[AppError]] = [AppError]
    while pending:
        cls = pending.pop()
        yield cls
        pending.extend(cls.__subclasses__())


def render(error: AppError, *, message: str | None = None) -> Response:
    """The envelope response of `error`: its code, its message (an `InvalidParameter` names its
    fields; `message` replaces it) and its HTTP status. Every error a client sees is rendered
    here: by the app's exception handlers (`web.handlers`) and by the middlewares."""
    if message is None:
        message = error.answer if isinstance(error, InvalidParameter) else error.message
    return error_response(error.code, message, error.http_status)
