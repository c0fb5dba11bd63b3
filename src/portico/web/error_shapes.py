"""Error bodies of the server APIs that do not speak the portal envelope.

`errors.py` maps every failure to the envelope in one place; under a server API's prefix
(`/auth/realms/`, `/issuers/`) this outermost middleware rewrites an error envelope into that
API's own shape, keeping its status and headers. So whatever refused the request (a route, the
body-size limit, an unknown path, an unexpected error), the client sees one documented shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENVELOPE_KEYS = ["version", "timestamp", "success", "code", "message", "data"]


@dataclass(frozen=True, slots=True)
class ShapedError:
    body: dict[str, object]
    headers: tuple[tuple[str, str], ...] = ()


# (HTTP status, envelope code, envelope message) -> the API's body and extra headers
Renderer = Callable[[int, str, str], ShapedError]


def _envelope(body: bytes) -> tuple[str, str] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or list(parsed) != ENVELOPE_KEYS or parsed["success"]:
        return None
    return str(parsed["code"]), str(parsed["message"])


class ErrorShapeMiddleware:
    """Rewrites error envelopes under each prefix with its renderer."""

    def __init__(self, app: ASGIApp, shapes: Sequence[tuple[str, Renderer]]) -> None:
        self.app = app
        self.shapes = tuple(shapes)

    def _renderer(self, scope: Scope) -> Renderer | None:
        if scope["type"] != "http":
            return None
        path: str = scope["path"]
        for prefix, renderer in self.shapes:
            if path.startswith(prefix):
                return renderer
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        renderer = self._renderer(scope)
        if renderer is None:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def shaping_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] < 400:
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_shaped(send, start, b"".join(chunks), renderer)

        await self.app(scope, receive, shaping_send)


async def _send_shaped(send: Send, start: Message, body: bytes, renderer: Renderer) -> None:
    status: int = start["status"]
    headers = [
        (name, value)
        for name, value in start.get("headers", [])
        if name.lower() != b"content-length"
    ]
    found = _envelope(body)
    if found is not None:
        shaped = renderer(status, *found)
        body = json.dumps(shaped.body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = [(name, value) for name, value in headers if name.lower() != b"content-type"]
        present = {name.lower() for name, _ in headers}
        headers += [
            (name.lower().encode(), value.encode())
            for name, value in shaped.headers
            if name.lower().encode() not in present
        ]
        headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
