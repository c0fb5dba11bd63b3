"""A directory on the local disk (the embedded default)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from portico.storage.base import CHUNK_SIZE, StorageError, check_key

PARTIAL = ".partial-"


class LocalWriter:
    """Writes `<key>.partial-<token>` and renames it into place on commit (atomic, so a reader
    never sees half a file and a killed writer leaves only a partial file behind)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(f"{path.name}{PARTIAL}{secrets.token_hex(6)}")
        self._file: BinaryIO | None = None

    def _open(self) -> BinaryIO:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.partial.open("xb")
        return self._file

    async def write(self, chunk: bytes) -> None:
        await asyncio.to_thread(lambda: self._open().write(chunk))

    def _commit(self) -> None:
        file = self._open()
        file.flush()
        os.fsync(file.fileno())
        file.close()
        os.replace(self.partial, self.path)

    async def commit(self) -> None:
        await asyncio.to_thread(self._commit)

    def _abort(self) -> None:
        if self._file is not None:
            self._file.close()
        self.partial.unlink(missing_ok=True)

    async def abort(self) -> None:
        await asyncio.to_thread(self._abort)


class LocalStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    async def open(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)

    async def close(self) -> None:
        return None

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def writer(self, key: str) -> LocalWriter:
        return LocalWriter(self._path(key))

    async def read(self, key: str) -> AsyncIterator[bytes]:
        try:
            file = await asyncio.to_thread(self._path(key).open, "rb")
        except FileNotFoundError as exc:
            raise StorageError(f"no object {key}") from exc
        try:
            while chunk := await asyncio.to_thread(file.read, CHUNK_SIZE):
                yield chunk
        finally:
            file.close()

    def _delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        if path.parent.exists():
            for partial in path.parent.glob(f"{path.name}{PARTIAL}*"):
                partial.unlink(missing_ok=True)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)

    def _list(self, prefix: str) -> list[str]:
        if not self.root.exists():
            return []
        keys = (
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*")
            if path.is_file()
        )
        return sorted(key for key in keys if key.startswith(prefix))

    async def list_keys(self, prefix: str = "") -> list[str]:
        return await asyncio.to_thread(self._list, prefix)
