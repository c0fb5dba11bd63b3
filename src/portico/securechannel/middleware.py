"""Decrypts `X-SC-Session-Id` requests before routing and encrypts their responses."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portico.errors import render
from portico.runtime import runtime_of
from portico.securechannel import service
from portico.securechannel.errors import InvalidPayload

# The channel's own routes are never wrapped.
_EXEMPT_SUFFIXES = (
    "/secure-channel/public-key",
    "/secure-channel/session",
    "/secure-channel/session/close",
)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class SecureChannelMiddleware:
    """AES-256-GCM request/response wrapping for portal calls that name a channel session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session_id = _header(scope, b"x-sc-session-id") if scope["type"] == "http" else None
        path = scope.get("path", "")
        if not session_id or not path.startswith("/web/v1/") or path.endswith(_EXEMPT_SUFFIXES):
            await self.app(scope, receive, send)
            return
        runtime = runtime_of(scope["app"])
        aes_key = await service.channel_key(runtime.database, runtime.auth_kit.box, session_id)
        body = await _read_body(receive)
        plaintext = b""
        if aes_key is not None and body.strip():
            plaintext_or_none = _unwrap(aes_key, body)
            aes_key = aes_key if plaintext_or_none is not None else None
            plaintext = plaintext_or_none or b""
        if aes_key is None:
            exc = InvalidPayload()
            await render(exc)(scope, receive, send)
            return
        await self._call_wrapped(scope, send, aes_key, plaintext)

    async def _call_wrapped(
        self, scope: Scope, send: Send, aes_key: bytes, plaintext: bytes
    ) -> None:
        headers = [
            (k, v) for k, v in scope["headers"] if k not in (b"content-length", b"content-type")
        ]
        headers += [
            (b"content-length", str(len(plaintext)).encode()),
            (b"content-type", b"application/json"),
        ]
        inner_scope = {**scope, "headers": headers}
        delivered = False

        async def inner_receive() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": plaintext, "more_body": False}

        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner_scope, inner_receive, capture)
        if "route" in inner_scope:  # the route template, for the outer metrics and log line
            scope["route"] = inner_scope["route"]
        wrapped = json.dumps(service.encrypt(aes_key, b"".join(chunks))).encode()
        out_headers = [
            (k, v)
            for k, v in start.get("headers", [])
            if k not in (b"content-length", b"content-type")
        ]
        out_headers += [
            (b"content-length", str(len(wrapped)).encode()),
            (b"content-type", b"application/json"),
            (b"x-sc-encrypted", b"1"),
        ]
        await send(
            {
                "type": "http.response.start",
                "status": start.get("status", 500),
                "headers": out_headers,
            }
        )
        await send({"type": "http.response.body", "body": wrapped})


async def _read_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _unwrap(aes_key: bytes, body: bytes) -> bytes | None:
    try:
        envelope = json.loads(body)
    except ValueError:
        return None
    if not isinstance(envelope, dict):
        return None
    return service.decrypt(aes_key, envelope.get("iv"), envelope.get("ciphertext"))
