"""Argon2id password hashing, run off the event loop on a bounded set of threads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

from portico.config import Settings

T = TypeVar("T")


def _yield_to_the_event_loop() -> None:
    # Hashing threads run at a lower priority than the event loop's thread: when the CPU is
    # saturated, logins queue a little longer and every other request keeps its latency.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


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
        self._executor = ThreadPoolExecutor(
            max_workers=threads,
            thread_name_prefix="argon2",
            initializer=_yield_to_the_event_loop,
        )
        self._dummy_hash: str | None = None

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=False)

    async def hash(self, password: str) -> str:
        return await self._run(self._argon2.hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password; with no hash (unknown account) spend the same time and say no."""
        if password_hash is None:
            await self._run(self._verify, await self.dummy_hash(), password)
            return False
        return await self._run(self._verify, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    async def dummy_hash(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("portico-timing-equaliser")
        return self._dummy_hash
