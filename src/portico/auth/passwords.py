"""Argon2id password hashing, run off the event loop on a bounded set of threads."""

from __future__ import annotations

import os

import anyio
import anyio.to_thread
from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

from portico.config import Settings


class PasswordHasher:
    """Hashes and verifies passwords without blocking other requests."""

    def __init__(self, settings: Settings) -> None:
        self._argon2 = Argon2Hasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        threads = settings.argon2_max_threads or (os.cpu_count() or 1)
        # Hashing is CPU-bound: more threads than cores only adds latency to everything.
        self._limiter = anyio.CapacityLimiter(threads)
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._argon2.hash, password, limiter=self._limiter)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password; with no hash (unknown account) spend the same time and say no."""
        if password_hash is None:
            await anyio.to_thread.run_sync(
                self._verify, await self.dummy_hash(), password, limiter=self._limiter
            )
            return False
        return await anyio.to_thread.run_sync(
            self._verify, password_hash, password, limiter=self._limiter
        )

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    async def dummy_hash(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("portico-timing-equaliser")
        return self._dummy_hash
