"""The OpenAPI document, made to tell the truth about what the server sends.

FastAPI's own document is the starting point; this module then
- publishes every failure an operation can answer: one response per HTTP status, whose schema is
  the error envelope with `code` limited to that operation's codes, listed again (with their
  messages) in the description and as `x-error-codes`. The codes come from `@raises(...)` on the
  route and on each dependency it uses (the portal code, the bearer token, the permission), plus
  those every request can meet (malformed input, secure channel, body size, a write losing a
  race, the database going away);
- drops the `422 HTTPValidationError` FastAPI adds everywhere (the server never sends it: a bad
  request is `400 VALIDATION.INVALID_PARAMETER`);
- gives the bare `204` where a route declares it (`bare_204_on`), the required headers and the
  bearer scheme, and the `X-Request-Id` / `Cache-Control` headers every portal answer carries.

The document does not change while a process runs, so it is built once per process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from portico.auth.deps import get_principal
from portico.enums import AccountPortal
from portico.envelope import ErrorEnvelope
from portico.errors import (
    AppError,
    BodyTooLarge,
    Conflict,
    InternalError,
    InvalidParameter,
    Unavailable,
    all_error_classes,
    declared_errors,
)
from portico.securechannel.errors import InvalidPayload

# Any request can be malformed (a NUL in the query is refused before routing), carry a broken
# secure-channel envelope, be too large, or meet an unexpected failure or a database outage.
EVERY_OPERATION: tuple[type[AppError], ...] = (
    InvalidParameter,
    InvalidPayload,
    BodyTooLarge,
    InternalError,
    Unavailable,
)
# A write can lose a race to a unique constraint.
EVERY_WRITE: tuple[type[AppError], ...] = (Conflict,)

BARE_204_ATTRIBUTE = "__portico_bare_204__"
PORTAL_HEADER = "x-portal-access-code"
PORTAL_PREFIXES = {portal: f"/web/v1/{portal.value.lower()}/" for portal in AccountPortal}
F = TypeVar("F", bound=Callable[..., Any])
_HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def bare_204_on(*portals: AccountPortal) -> Callable[[F], F]:
    """Declare that on these portals the route answers a bare `204` (no body, no envelope)."""

    def mark(function: F) -> F:
        setattr(function, BARE_204_ATTRIBUTE, frozenset(portals))
        return function

    return mark


def _calls(dependant: Any) -> Iterator[Any]:
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _uses(route: RouteContext, dependency: Callable[..., Any]) -> bool:
    return any(call is dependency for call in _calls(route.dependant))


def route_errors(route: RouteContext) -> list[type[AppError]]:
    """Every failure the route can answer, by status then code."""
    found: dict[str, type[AppError]] = {}
    candidates = list(EVERY_OPERATION)
    if "POST" in (route.methods or ()):
        candidates += EVERY_WRITE
    for call in _calls(route.dependant):
        candidates += declared_errors(call)
    for error in candidates:
        found.setdefault(error.code, error)
    return sorted(found.values(), key=lambda e: (e.http_status, e.code))


def _check_codes_are_unambiguous() -> None:
    statuses: dict[str, int] = {}
    for cls in all_error_classes():
        if statuses.setdefault(cls.code, cls.http_status) != cls.http_status:
            raise RuntimeError(f"error code {cls.code} is used with two HTTP statuses")


def _error_responses(errors: list[type[AppError]]) -> dict[str, Any]:
    by_status: dict[int, list[type[AppError]]] = {}
    for error in errors:
        by_status.setdefault(error.http_status, []).append(error)
    responses: dict[str, Any] = {}
    for status, group in sorted(by_status.items()):
        codes = [error.code for error in group]
        described = "; ".join(f"`{error.code}` {error.message}" for error in group)
        responses[str(status)] = {
            "description": described,
            "headers": _answer_headers(),
            "content": {
                "application/json": {
                    "schema": {
                        "allOf": [
                            {"$ref": "#/components/schemas/ErrorEnvelope"},
                            {"properties": {"code": {"type": "string", "enum": codes}}},
                        ]
                    }
                }
            },
        }
    return responses


def _answer_headers() -> dict[str, Any]:
    return {
        "X-Request-Id": {"$ref": "#/components/headers/XRequestId"},
        "Cache-Control": {"$ref": "#/components/headers/CacheControl"},
    }


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without FastAPI's `anyOf [T, null]` (an absent parameter is not a
    null one: headers and query strings carry no nulls)."""
    options = schema.get("anyOf")
    if not options:
        return schema
    kept = [option for option in options if option.get("type") != "null"]
    if len(kept) != 1:
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**kept[0], **rest}


def _operation(
    operation: dict[str, Any], route: RouteContext, portal: AccountPortal | None
) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    for response in responses.values():
        # Downloads keep their own headers (Content-Disposition) beside the common ones.
        response["headers"] = {**_answer_headers(), **response.get("headers", {})}
    if portal is not None and portal in getattr(route.endpoint, BARE_204_ATTRIBUTE, ()):
        for status in [s for s in responses if s.startswith("2")]:
            del responses[status]
        responses["204"] = {
            "description": "No Content: an empty body, no envelope (as documented)",
            "headers": _answer_headers(),
        }
    errors = route_errors(route)
    responses.update(_error_responses(errors))
    operation["responses"] = dict(sorted(responses.items()))
    operation["x-error-codes"] = [error.code for error in errors]

    authenticated = _uses(route, get_principal)
    parameters = []
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"] == "authorization":
            continue  # published as the bearer security scheme instead
        parameter = {**parameter, "schema": _without_null(parameter.get("schema", {}))}
        if parameter["in"] == "header" and parameter["name"] == PORTAL_HEADER:
            parameter["required"] = True
        parameters.append(parameter)
    if parameters:
        operation["parameters"] = parameters
    if authenticated:
        operation["security"] = [{"bearerToken": []}]


def _components(document: dict[str, Any]) -> None:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["ErrorEnvelope"] = ErrorEnvelope.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    components["headers"] = {
        "XRequestId": {
            "description": "The request id: the one sent (if well formed) or a generated one",
            "required": True,
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
        },
        "CacheControl": {
            "description": "Portal answers are never stored by caches (they carry tokens, "
            "secrets and personal data)",
            "required": True,
            "schema": {"type": "string", "enum": ["no-store"]},
        },
    }
    # Beside the schemes FastAPI found (the issuer API's OAuth2 client credentials).
    components.setdefault("securitySchemes", {}).update(
        {
            "bearerToken": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "The access token from `auth/login/verify`, `auth/register/verify` "
                "or `auth/token/refresh`",
            }
        }
    )


# The failures every server-API request can meet, in that API's own error body: a body past the
# size limit; for the issuer API also a write losing a race or replaying an `Idempotency-Key`
# with another body, and the database going away (the onboarding API declares its own).
_SERVER_WRITES = {"post", "put", "patch", "delete"}
_IDEMPOTENCY_CONFLICT = (
    "A parallel write won a race, or the Idempotency-Key was used with another body"
)
_SERVER_FAILURES: tuple[tuple[str, bool, str, str], ...] = (
    # (path prefix, writes only, status, description)
    ("/", True, "413", "The body is too large"),
    ("/issuers/", True, "409", _IDEMPOTENCY_CONFLICT),
    ("/issuers/", False, "503", "The database is unavailable"),
)


def _server_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    """Publish the server-wide failures of a server-API operation, in the body its own
    refusals have (the schema of its first documented 4xx answer)."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    template = next(
        (r for status, r in sorted(responses.items()) if status.startswith("4") and "content" in r),
        None,
    )
    if template is None:
        return
    for prefix, writes_only, status, description in _SERVER_FAILURES:
        if not path.startswith(prefix) or (writes_only and method not in _SERVER_WRITES):
            continue
        responses.setdefault(status, {"description": description, "content": template["content"]})
    operation["responses"] = dict(sorted(responses.items()))


def _portal_of(path: str) -> AccountPortal | None:
    for portal, prefix in PORTAL_PREFIXES.items():
        if path.startswith(prefix):
            return portal
    return None


def build_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document for `app`, corrected as described above."""
    _check_codes_are_unambiguous()
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
    )
    routes = {
        (route.path_format, method.lower()): route
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
        for method in route.methods or ()
    }
    for path, item in document.get("paths", {}).items():
        portal = _portal_of(path)
        for method, operation in item.items():
            if method in _HTTP_METHODS and portal is not None:
                _operation(operation, routes[(path, method)], portal)
            elif method in _HTTP_METHODS:
                # The server APIs declare their own error bodies; none sends a 422 either.
                operation.get("responses", {}).pop("422", None)
                _server_operation(path, method, operation)
    _components(document)
    return document


_built: dict[str, Any] = {}


def install(app: FastAPI) -> None:
    """Serve the corrected document at `/openapi.json` (built once per process)."""

    def openapi() -> dict[str, Any]:
        if "document" not in _built:
            _built["document"] = build_document(app)
        # Shared by every app of the process: read it, never change it.
        app.openapi_schema = _built["document"]
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
