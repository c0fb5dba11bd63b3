"""`x-correlation-id` on the issuer API: validated, echoed on every answer and logged.

The issuer document: 1-64 characters of `[a-zA-Z0-9_\\-\\. ]`, logged in clear (so it must not
carry personal data), not guaranteed unique. A malformed one is refused before anything else
(`400`); every answer under `/issuers/` is also marked `Cache-Control: no-store` (they carry
customer data).
"""

from __future__ import annotations

import logging
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portico.errors import InvalidParameter, render

PREFIX = "/issuers/"
HEADER = b"x-correlation-id"
CORRELATION_ID = re.compile(r"[a-zA-Z0-9_\-. ]{1,64}")
STATE_KEY = "correlation_id"
logger = logging.getLogger("portico.issuer")


def correlation_id_of(scope: Scope) -> str | None:
    value: str | None = scope.get("state", {}).get(STATE_KEY)
    return value


class CorrelationIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        raw = [value for name, value in scope.get("headers", []) if name == HEADER]
        correlation_id: str | None = None
        if raw:
            text = raw[0].decode("latin-1")
            if len(raw) > 1 or not CORRELATION_ID.fullmatch(text):
                exc = InvalidParameter()
                await render(exc, message="Invalid x-correlation-id header")(
                    scope, receive, _no_store(send, None)
                )
                return
            correlation_id = text
        scope.setdefault("state", {})[STATE_KEY] = correlation_id
        status = 500

        async def send_marked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await _no_store(send, correlation_id)(message)

        try:
            await self.app(scope, receive, send_marked)
        finally:
            logger.info(
                "%s %s %s correlation-id=%s",
                scope["method"],
                scope["path"],
                status,
                correlation_id or "-",
            )


def _no_store(send: Send, correlation_id: str | None) -> Send:
    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (name, value)
                for name, value in message.get("headers", [])
                if name.lower() not in (b"cache-control", HEADER)
            ]
            headers.append((b"cache-control", b"no-store"))
            if correlation_id is not None:
                headers.append((HEADER, correlation_id.encode()))
            message["headers"] = headers
        await send(message)

    return marked
