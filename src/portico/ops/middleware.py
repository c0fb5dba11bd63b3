"""The outermost middleware: answers the probes and `/metrics` before anything else runs
(no request id, no access log line, no portal code or token, no body handling), and counts and
times every other request by its route template."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portico.config import Settings
from portico.db import Database
from portico.jobs.queue import JobQueue
from portico.ops import metrics
from portico.ops.health import readiness
from portico.ops.routes import route_template
from portico.web.context import route_path

logger = logging.getLogger("portico.metrics")
HEALTHZ, READYZ, METRICS = "/healthz", "/readyz", "/metrics"
OPS_PATHS = (HEALTHZ, READYZ, METRICS)
# The headers every answer carries (`SecurityHeadersMiddleware`, which these never reach).
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]


Responder = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = b"application/json",
    extra: list[tuple[bytes, bytes]] | None = None,
    *,
    head: bool = False,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": headers + _HEADERS + (extra or []),
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else body})


class OpsMiddleware:
    def __init__(
        self, app: ASGIApp, *, settings: Settings, database: Database, jobs: JobQueue
    ) -> None:
        self.app = app
        self.settings = settings
        self.database = database
        self.jobs = jobs
        self.token = settings.metrics_token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if path in OPS_PATHS:
            await self._ops(path, scope, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            metrics.observe_request(
                route_template(scope), scope["method"], status, time.perf_counter() - started
            )

    async def _ops(self, path: str, scope: Scope, send: Send) -> None:
        method = scope["method"]
        head = method == "HEAD"
        if method not in ("GET", "HEAD"):
            body = b'{"status":"method not allowed"}'
            await _answer(send, 405, body, extra=[(b"allow", b"GET, HEAD")])
            return
        if path == HEALTHZ:
            await _answer(send, 200, b'{"status":"ok"}', head=head)
        elif path == READYZ:
            result = await readiness(self.settings, self.database, self.jobs)
            body = json.dumps(
                {
                    "status": "ready" if result.ready else "unavailable",
                    "failing": result.failing,
                    "checks": result.checks,
                },
                separators=(",", ":"),
            ).encode()
            await _answer(send, 200 if result.ready else 503, body, head=head)
        else:
            if self.token and not self._authorized(scope):
                await _answer(
                    send,
                    401,
                    b'{"status":"unauthorized"}',
                    extra=[(b"www-authenticate", b'Bearer realm="metrics"')],
                    head=head,
                )
                return
            await _answer(
                send,
                200,
                metrics.render(await self._job_counts()),
                metrics.CONTENT_TYPE.encode(),
                head=head,
            )

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, token = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(
                    token.strip(), self.token
                )
        return False

    async def _job_counts(self) -> dict[str, int] | None:
        try:
            return await asyncio.wait_for(
                self.jobs.counts(), self.settings.readiness_timeout_seconds
            )
        except Exception as exc:
            logger.warning("metrics: the job counts could not be read (%s)", type(exc).__name__)
            return None
