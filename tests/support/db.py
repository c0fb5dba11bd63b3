"""The test database and settings: SQLite in the run's temporary directory, or a database of
its own next to `PORTICO_TEST_DATABASE_URL` on PostgreSQL (so parallel runs and parallel
workers never see each other's data)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from portico.config import Settings
from portico.db import Base, Database
from portico.models import Base as _AllModels  # noqa: F401  (registers every table)
from tests.factories.accounts import TEST_ARGON2_MEMORY_KIB, TEST_ARGON2_TIME_COST

PG_URL = os.environ.get("PORTICO_TEST_DATABASE_URL", "")


@contextmanager
def scratch_pg_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database next to the configured one, dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def admin(statement: str) -> None:
        engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "var_dir": tmp_path / "var",
        "mail_outbox_dir": tmp_path / "mail",
        "secret_key": "test-secret-key-0123456789abcdef0123456789",
        "log_level": "WARNING",
        "database_pool_size": 16,
        # Cheap hashes keep the suite fast; the OWASP defaults are tested on their own
        # (tests/auth/test_register.py) and the factories hash with these same parameters.
        "argon2_memory_kib": TEST_ARGON2_MEMORY_KIB,
        "argon2_time_cost": TEST_ARGON2_TIME_COST,
        # No periodic maintenance in the app under test: a test that crossed a minute's start
        # would find its sweep run for it. The tests call the sweeps (`jobs.tasks`) themselves;
        # a test of the schedule sets a cron of its own.
        "jobs_maintenance_cron": "",
        # Not in a process that starts hundreds of apps: what it froze would never be collected.
        "gc_freeze": False,
    }
    values.update(overrides)
    return Settings(**values)


async def truncate(db: Database) -> None:
    """Delete every row a test made (the reference data seeded by the migrations stays)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "currencies"]
    # DELETE, children first: on PostgreSQL a TRUNCATE of every table costs ~120 ms a test,
    # DELETE of a test's few rows ~7 ms.
    async with db.engine.begin() as connection:
        for name in tables:
            await connection.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608
