"""A lean HTTP/1.1 keep-alive client for the benchmarks' load loops.

The benchmarks share the machine with the server and the database, so the load generator's own
CPU is taken from what it measures: httpx costs about 2.5 ms of client CPU a request, more than
half of what a transfer costs the server. One `Connection` is one socket, used by one worker at
a time (a closed loop), with fixed headers rendered once.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


class HttpError(Exception):
    """The connection failed or the answer was not HTTP/1.1 as expected."""


# What a request can raise: the connection failed, timed out, or spoke something unexpected.
ERRORS = (OSError, EOFError, asyncio.LimitOverrunError, TimeoutError, HttpError)


class Connection:
    def __init__(self, host: str, port: int, headers: dict[str, str], timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        fixed = {"Host": f"{host}:{port}", **headers}
        self.fixed_headers = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(
        self, path: str, body: Any, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """POST `body` as JSON; returns the status and the response body."""
        payload = json.dumps(body, separators=(",", ":")).encode()
        return await self.request("POST", path, headers, payload)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        return await self.request("GET", path, headers)

    async def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        payload: bytes | None = None,
    ) -> tuple[int, bytes]:
        """One request on the kept-alive connection (opened on first use or after a close)."""
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        if payload is not None:
            extra += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        head = f"{method} {path} HTTP/1.1\r\n{extra}".encode()
        try:
            async with asyncio.timeout(self.timeout):
                if self.writer is None or self.reader is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.writer.write(head + self.fixed_headers + b"\r\n" + (payload or b""))
                status, length, close = _parse_head(await self.reader.readuntil(b"\r\n\r\n"))
                content = await self.reader.readexactly(length)
        except ERRORS:
            self.close()
            raise
        if close:
            self.close()
        return status, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise HttpError(f"not an HTTP/1.1 status line: {lines[0]!r}")
    length: int | None = None
    close = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection" and value.strip().lower() == "close":
            close = True
        elif name == "transfer-encoding":
            raise HttpError("chunked answers are not expected here")
    if length is None:
        raise HttpError("an answer without Content-Length")
    return int(parts[1]), length, close
