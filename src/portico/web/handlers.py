"""The app's exception handlers: every exception a request raises becomes an envelope, through
`errors.render`. A business failure is its `AppError`; a database or network failure is 503 or
409 when retrying can help, 500 with the traceback in the log otherwise."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from portico.errors import (
    AppError,
    BodyTooLarge,
    Conflict,
    FieldError,
    InternalError,
    InvalidParameter,
    MethodNotAllowed,
    NotFound,
    PermissionDenied,
    Unavailable,
    render,
)
from portico.ops import events
from portico.ops.routes import route_template

logger = logging.getLogger("portico.errors")


async def _handle_app_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, AppError):
        return await _handle_unexpected(request, exc)
    if exc.http_status >= 500:
        logger.error("request failed: %s", exc.code, exc_info=exc)
    elif isinstance(exc, PermissionDenied):
        events.security_event(
            events.PERMISSION_REFUSED,
            route=route_template(request.scope),
            account_id=getattr(request.state, "account_id", None),
            workspace_id=getattr(request.state, "workspace_id", None),
        )
    return render(exc)


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
    return render(InvalidParameter(*invalid_fields(errors)))


async def _handle_http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    if status == 404:
        return render(NotFound())
    if status == 405:
        response = render(MethodNotAllowed())
        response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response
    if status == 413:
        return render(BodyTooLarge())
    if 400 <= status < 500:
        return render(InvalidParameter())
    return render(InternalError())


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (for a 405's `Allow`)."""
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
    return render(Conflict())


async def _handle_operational_error(request: Request, exc: Exception) -> Response:
    logger.error("database unavailable on %s %s", request.method, request.url.path, exc_info=exc)
    return render(Unavailable())


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
        return render(Unavailable())
    if getattr(exc, "connection_invalidated", False):
        # The connection broke mid-request (the database restarted): nothing was committed.
        logger.error("database connection lost on %s %s", request.method, request.url.path)
        return render(Unavailable())
    if (_sqlstate(exc) or "").startswith("40"):
        logger.warning(
            "transaction rolled back by the database on %s %s: %s",
            request.method,
            request.url.path,
            _sqlstate(exc),
        )
        return render(Unavailable())
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
    return render(Unavailable())


async def _handle_unexpected(request: Request, exc: Exception) -> Response:
    # Nothing internal reaches the client; the traceback goes to the log with the request id.
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return render(InternalError())


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
