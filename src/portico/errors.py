"""The one error hierarchy and its mapping to the response envelope.

Every failure a client can see is an `AppError` with a fixed code, message and HTTP status.
Routes never raise `HTTPException`; the handlers below are the only place errors become
responses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from portico.envelope import error_response

logger = logging.getLogger("portico.errors")


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


def _app_error_response(exc: AppError) -> Response:
    message = exc.answer if isinstance(exc, InvalidParameter) else exc.message
    return error_response(exc.code, message, exc.http_status)


async def _handle_app_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, AppError):
        return await _handle_unexpected(request, exc)
    if exc.http_status >= 500:
        logger.error("request failed: %s", exc.code, exc_info=exc)
    elif isinstance(exc, PermissionDenied):
        from portico.ops import events
        from portico.ops.routes import route_template

        events.security_event(
            events.PERMISSION_REFUSED,
            route=route_template(request.scope),
            account_id=getattr(request.state, "account_id", None),
            workspace_id=getattr(request.state, "workspace_id", None),
        )
    return _app_error_response(exc)


_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_SOURCES = {"body", "query", "path", "header", "cookie"}


def invalid_fields(errors: Iterable[dict[str, Any]]) -> list[str]:
    """The request fields a validation error is about: each error's top-level field name
    (never anything the client wrote but a declared name), or the fields a model validator
    named; `body` when the body as a whole is wrong (not JSON, not an object)."""
    fields: list[str] = []
    for error in errors:
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, FieldError):
            fields.extend(cause.fields)
            continue
        location = [part for part in error.get("loc", ()) if isinstance(part, str)]
        if location and location[0] in _SOURCES:
            source, location = location[0], location[1:]
        else:
            source = "body"
        name = location[0] if location else source
        fields.append(name if _FIELD_NAME.match(name) else source)
    return list(dict.fromkeys(fields))[:5]


async def _handle_validation_error(request: Request, exc: Exception) -> Response:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return _app_error_response(InvalidParameter(*invalid_fields(errors)))


async def _handle_http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    if status == 404:
        return _app_error_response(NotFound())
    if status == 405:
        response = _app_error_response(MethodNotAllowed())
        response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response
    if status == 413:
        return _app_error_response(BodyTooLarge())
    if 400 <= status < 500:
        return _app_error_response(InvalidParameter())
    return _app_error_response(InternalError())


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (for a 405's `Allow`)."""
    from fastapi.routing import iter_route_contexts

    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        pattern = getattr(route, "path_regex", None)
        if route.methods and pattern is not None and pattern.match(path):
            methods |= route.methods
    return sorted(methods)


async def _handle_integrity_error(request: Request, exc: Exception) -> Response:
    # Two requests raced to create the same thing; the loser changed nothing.
    logger.warning("integrity conflict on %s %s", request.method, request.url.path)
    return _app_error_response(Conflict())


async def _handle_operational_error(request: Request, exc: Exception) -> Response:
    logger.error("database unavailable on %s %s", request.method, request.url.path, exc_info=exc)
    return _app_error_response(Unavailable())


def _sqlstate(exc: Exception) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if state:
            return str(state)
    return None


# SQLSTATEs of a database that is going away or not there yet: connection exceptions (08),
# insufficient resources (53: too many connections) and operator intervention (57P01 admin
# shutdown, 57P02 crash shutdown, 57P03 cannot connect now: starting up or shutting down).
_UNAVAILABLE_STATES = ("08", "53", "57P")


async def _handle_database_error(request: Request, exc: Exception) -> Response:
    # Class 40 (serialization failure, deadlock): the transaction was rolled back, nothing
    # changed, and the same request can simply be tried again.
    if (_sqlstate(exc) or "").startswith(_UNAVAILABLE_STATES):
        logger.error(
            "database unavailable on %s %s: %s", request.method, request.url.path, _sqlstate(exc)
        )
        return _app_error_response(Unavailable())
    if getattr(exc, "connection_invalidated", False):
        # The connection broke mid-request (the database restarted): nothing was committed.
        logger.error("database connection lost on %s %s", request.method, request.url.path)
        return _app_error_response(Unavailable())
    if (_sqlstate(exc) or "").startswith("40"):
        logger.warning(
            "transaction rolled back by the database on %s %s: %s",
            request.method,
            request.url.path,
            _sqlstate(exc),
        )
        return _app_error_response(Unavailable())
    return await _handle_unexpected(request, exc)


async def _handle_unreachable(request: Request, exc: Exception) -> Response:
    # The database (or another service) cannot be reached: refused, reset or timed out, or no
    # pooled connection came free in time. Nothing was committed; the request can be retried.
    logger.error(
        "a service is unreachable on %s %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
    )
    return _app_error_response(Unavailable())


async def _handle_unexpected(request: Request, exc: Exception) -> Response:
    # Nothing internal reaches the client; the traceback goes to the log with the request id.
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _app_error_response(InternalError())


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception to the documented envelope."""
    app.add_exception_handler(AppError, _handle_app_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    app.add_exception_handler(IntegrityError, _handle_integrity_error)
    app.add_exception_handler(OperationalError, _handle_operational_error)
    app.add_exception_handler(DBAPIError, _handle_database_error)
    app.add_exception_handler(PoolTimeout, _handle_unreachable)
    app.add_exception_handler(ConnectionError, _handle_unreachable)
    app.add_exception_handler(TimeoutError, _handle_unreachable)
    app.add_exception_handler(Exception, _handle_unexpected)
