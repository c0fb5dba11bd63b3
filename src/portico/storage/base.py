"""The storage interface: objects are written in chunks and committed (or aborted), read back
in chunks, and deleted. Keys are always made by the server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Protocol

CHUNK_SIZE = 64 * 1024
# Server-made keys only: segments of letters, digits, `-`, `_` and `.`, never `..`.
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,7}$")


class StorageError(Exception):
    """The store refused or failed an operation."""


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise StorageError(f"invalid storage key {key!r}")
    return key


class ObjectWriter(Protocol):
    """An object being written: invisible under its key until `commit`; `abort` leaves nothing."""

    async def write(self, chunk: bytes) -> None: ...

    async def commit(self) -> None: ...

    async def abort(self) -> None: ...


class Storage(Protocol):
    """Where file bytes live."""

    name: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def writer(self, key: str) -> ObjectWriter: ...

    def read(self, key: str) -> AsyncIterator[bytes]: ...

    async def delete(self, key: str) -> None:
        """Remove the object (and any unfinished write under the key); a missing one is fine."""

    async def list_keys(self, prefix: str = "") -> list[str]:
        """Every key under `prefix` that holds bytes: committed objects and unfinished writes
        (what an operator, or a test, checks for orphans)."""
