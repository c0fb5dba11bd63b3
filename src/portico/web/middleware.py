"""Pure-ASGI middleware: request ids and access logging, the headers every answer carries, the
request body size limit, exact JSON numbers, and the answer to an unexpected exception."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portico.envelope import error_response
from portico.errors import BodyTooLarge, InternalError, InvalidParameter
from portico.ops.logs import ACCESS
from portico.ops.routes import route_template

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_logger = logging.getLogger("portico.access")
error_logger = logging.getLogger("portico.errors")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


PORTAL_PATHS = "/web/v1/"
# Anything that is not a page: no scripts, no framing.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


class UnexpectedErrorMiddleware:
    """Answers an exception no handler took with the `500 SYSTEM.INTERNAL_ERROR` envelope.

    Innermost, so the answer goes out like any other (through the secure channel, with the
    request id), the log line carries the request id, and the connection stays usable: left to
    Starlette's outermost error middleware, the exception is re-raised to the server after the
    500 is sent, and uvicorn then drops the keep-alive connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            raise  # no one to answer (or the body limit cut it off and answers 413 itself)
        except Exception:
            if started:  # half an answer is out: only closing the connection can end it
                raise
            error_logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            exc = InternalError()
            await error_response(exc.code, exc.message, exc.http_status)(scope, receive, send)


# Room for a multipart body's boundaries, part headers and small fields around the file.
MULTIPART_OVERHEAD = 64 * 1024


class BodySizeLimitMiddleware:
    """Refuses bodies over `max_bytes` with `413 REQUEST.BODY_TOO_LARGE`, declared or streamed.

    Paths ending in one of `upload_suffixes` (file uploads) have their own, larger limit:
    `upload_max_bytes` plus the multipart overhead; the upload route enforces the file's own
    size exactly while it streams. Paths starting with one of `upload_prefixes` (the web pages
    that upload a file, which pass it on to that route) have the same limit. `path_limits`
    gives exact paths a limit of their own (the onboarding body, which carries document
    images)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_max_bytes: int = 0,
        upload_suffixes: tuple[str, ...] = (),
        path_limits: tuple[tuple[str, int], ...] = (),
        upload_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes + MULTIPART_OVERHEAD
        self.upload_suffixes = upload_suffixes
        self.upload_prefixes = upload_prefixes
        self.path_limits = dict(path_limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        path = scope["path"]
        if (self.upload_suffixes and path.endswith(self.upload_suffixes)) or (
            self.upload_prefixes and path.startswith(self.upload_prefixes)
        ):
            limit = max(limit, self.upload_max_bytes)
        limit = self.path_limits.get(path, limit)
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            exc = BodyTooLarge()
            await error_response(exc.code, exc.message, exc.http_status)(scope, receive, send)
            return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Stop the app reading: it sees a disconnect, and its answer is replaced.
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not too_large:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large:
            exc = BodyTooLarge()
            await error_response(exc.code, exc.message, exc.http_status)(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class _InexactNumber(ValueError):
    pass


def _exact_float(text: str) -> float:
    if "e" in text or "E" in text:
        raise _InexactNumber(text)
    return float(text)


def _no_constant(text: str) -> Any:
    raise _InexactNumber(text)


def has_nul(body: bytes) -> bool:
    """Whether a JSON body holds a NUL character (escaped or raw), in whichever of UTF-8, -16
    or -32 it is written (JSON parsers accept all three; a UTF-16 `\\u0000` is not the bytes
    `\\u0000`)."""
    try:
        text = body.decode(json.detect_encoding(body))
    except (UnicodeDecodeError, LookupError):
        return False  # not text at all: the route answers 400 for it
    return "\\u0000" in text or "\x00" in text


def has_inexact_numbers(body: bytes) -> bool:
    """Whether a JSON body holds an exponent (`1e3`) or NaN/Infinity literal.

    Amounts must be exact decimals; a body that is not JSON at all is left to the route
    (which answers 400 for it)."""
    try:
        json.loads(body, parse_float=_exact_float, parse_constant=_no_constant)
    except _InexactNumber:
        return True
    except (ValueError, RecursionError):
        return False
    return False


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    await error_response(
        InvalidParameter.code, InvalidParameter.message, InvalidParameter.http_status
    )(scope, receive, send)


class ExactNumbersMiddleware:
    """Refuse JSON request bodies with exponent or NaN/Infinity number literals, and NUL
    characters anywhere in the path, the query or a JSON string (no store keeps them: PostgreSQL
    text refuses them).

    Innermost, so it sees a secure-channel body after decryption; the body is already bounded
    by `BodySizeLimitMiddleware`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            await _refuse(scope, receive, send)
            return
        content_type = _header(scope, b"content-type") or ""
        if scope["method"] != "POST" or "json" not in content_type.lower():
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        message: Message = {"type": "http.request", "body": b"", "more_body": True}
        while message.get("more_body", False):
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
        body = b"".join(chunks)
        if message["type"] == "http.request" and (has_nul(body) or has_inexact_numbers(body)):
            await _refuse(scope, receive, send)
            return
        replayed = False
        last = message

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                if last["type"] != "http.request":
                    return last
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# --- the edge: one layer for what every request needs ---------------------------------------

HEALTH_PATH = "/healthz"
HEALTH_BODY = b'{"status":"ok"}'
# The methods whose requests carry no body (unless they declare one).
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
# The server APIs (token endpoint, issuer API, onboarding): their error shapes and correlation ids
# apply to every request of theirs, bodiless ones too.
_SERVER_API_PREFIXES = ("/auth/realms/", "/issuers/", "/caas-lcm/")
_COMMON_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class EdgeMiddleware:
    """The outermost layer: what every request needs, in one pass, and the rest only when needed.

    Every request: `GET /healthz` is answered here, before anything else (the common headers,
    no log line: probes would drown the access log); otherwise the request id is taken or
    made, the common headers (`SecurityHeadersMiddleware`'s) and `X-Request-Id` are added to
    the answer, and one access log line is written (`RequestContextMiddleware`'s).

    Then a plain request (a `GET`/`HEAD`/`OPTIONS` with no body, no secure-channel session, not
    under a server API's prefix: every read) goes straight to the app, with the NUL check of
    the path and query and the answer to an unexpected exception done here. Any other request
    goes through `special`: the layers that only some requests need (error shapes of the server
    APIs, the issuer correlation id, the body size limit, the secure channel, exact numbers, and
    the unexpected-error answer innermost, inside the secure channel), each as before.
    """

    def __init__(
        self, app: ASGIApp, special: Sequence[tuple[type[Any], dict[str, Any]]], html_policy: str
    ) -> None:
        self.app = app
        # `special`: (middleware class, options), outermost first, wrapped around the same app.
        chain = app
        for layer, options in reversed(special):
            chain = layer(chain, **options)
        self.special = chain
        self.html_policy = html_policy.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):  # as `web.context.route_path`
            rest = path[len(root_path) :]
            path = rest if rest == "" or rest.startswith("/") else path
        method: str = scope["method"]
        if path == HEALTH_PATH and method == "GET":
            await _health(send)
            return
        incoming = None
        plain = method in _BODILESS and not path.startswith(_SERVER_API_PREFIXES)
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                incoming = value.decode("latin-1")
            elif key == b"x-sc-session-id" or (
                (key == b"content-length" and value != b"0") or key == b"transfer-encoding"
            ):
                plain = False
        request_id = (
            incoming if incoming and _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        )
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        portal = path.startswith(PORTAL_PATHS)
        started = time.perf_counter()
        status = 500
        answered = False
        extra = [*_COMMON_HEADERS, (b"x-request-id", request_id.encode())]

        async def edge_send(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                answered = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                if b"content-security-policy" not in present:
                    html = any(
                        name.lower() == b"content-type" and value.startswith(b"text/html")
                        for name, value in headers
                    )
                    policy = self.html_policy if html else API_POLICY_BYTES
                    headers.append((b"content-security-policy", policy))
                if portal:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            if not plain:
                await self.special(scope, receive, edge_send)
                return
            query = scope.get("query_string", b"")
            if "\x00" in path or b"%00" in query or b"\x00" in query:
                await _refuse(scope, receive, edge_send)
                return
            try:
                await self.app(scope, receive, edge_send)
            except ClientDisconnect:
                raise
            except Exception:
                if answered:
                    raise
                error_logger.exception("unhandled error on %s %s", method, scope["path"])
                exc = InternalError()
                await error_response(exc.code, exc.message, exc.http_status)(
                    scope, receive, edge_send
                )
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            state = scope.get("state", {})
            access_logger.info(
                "%s %s %s %.1fms",
                method,
                scope["path"],
                status,
                elapsed,
                extra={  # the JSON format's fields (`portico.ops.logs`)
                    ACCESS: {
                        "method": method,
                        "route": route_template(scope),
                        "status": status,
                        "duration_ms": round(elapsed, 1),
                        "account_id": state.get("account_id"),
                        "workspace_id": state.get("workspace_id"),
                    }
                },
            )
            request_id_var.reset(token)


API_POLICY_BYTES = API_POLICY.encode()
_HEALTH_START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(HEALTH_BODY)).encode()),
        *_COMMON_HEADERS,
        (b"content-security-policy", API_POLICY_BYTES),
    ],
}


async def _health(send: Send) -> None:
    await send(dict(_HEALTH_START))
    await send({"type": "http.response.body", "body": HEALTH_BODY})
