"""Serving a stored object as a download."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import quote

from starlette.responses import StreamingResponse

from portico.errors import NotFound
from portico.storage.base import Storage, StorageError

logger = logging.getLogger("portico.storage")


def binary_response(content_types: Iterable[str]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `200` of a download route: the bytes (no envelope), as one of these types."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {
            "description": "The file's bytes (not enveloped)",
            "content": {
                content_type.split(";")[0]: binary for content_type in sorted(content_types)
            },
            "headers": {
                "Content-Disposition": {
                    "description": "`attachment` with an ASCII `filename` and the RFC 6266 "
                    "`filename*` (UTF-8)",
                    "schema": {"type": "string"},
                }
            },
        }
    }


def content_disposition(file_name: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name as RFC 6266 / 5987
    `filename*`; no character of the name can end the header or add a parameter."""
    fallback = (
        "".join(ch if " " <= ch <= "~" and ch not in '"\\;%' else "_" for ch in file_name).strip()
        or "download"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


async def download_response(
    storage: Storage, *, key: str, file_name: str, content_type: str, size: int
) -> StreamingResponse:
    """Stream the object; a missing object is `404` before any byte is sent."""
    chunks = storage.read(key)
    try:
        first = await anext(chunks, b"")
    except StorageError as exc:
        logger.warning("stored object %s is missing", key)
        raise NotFound() from exc

    async def body() -> AsyncIterator[bytes]:
        try:
            if first:
                yield first
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]

    return StreamingResponse(
        body(),
        media_type=content_type,
        headers={
            "Content-Length": str(size),
            "Content-Disposition": content_disposition(file_name),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
