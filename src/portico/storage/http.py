"""Serving a stored object as a download."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from starlette.responses import StreamingResponse

from portico.errors import AppError, NotFound
from portico.storage.base import Storage, StorageError

logger = logging.getLogger("portico.storage")

# For the OpenAPI document of download routes.
BINARY_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file's bytes (not enveloped)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "Content-Disposition": {
                "description": "`attachment` with an ASCII `filename` and the RFC 6266 "
                "`filename*` (UTF-8)",
                "schema": {"type": "string"},
            }
        },
    }
}


def documented_errors(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for the errors a download route can answer (enveloped JSON)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry = responses.setdefault(
            error.http_status,
            {
                "description": "",
                "content": {"application/json": {"schema": _error_envelope([])}},
            },
        )
        line = f"`{error.code}` {error.message}"
        entry["description"] = f"{entry['description']}; {line}" if entry["description"] else line
        codes = entry["content"]["application/json"]["schema"]["properties"]["code"]["enum"]
        codes.append(error.code)
    return responses


def _error_envelope(codes: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["version", "timestamp", "success", "code", "message", "data"],
        "properties": {
            "version": {"type": "string"},
            "timestamp": {"type": "integer"},
            "success": {"type": "boolean", "enum": [False]},
            "code": {"type": "string", "enum": codes},
            "message": {"type": "string"},
            "data": {"type": "null"},
        },
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
