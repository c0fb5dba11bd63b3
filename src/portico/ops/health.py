"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers,
its migrations are at head, the job runner is alive).

Neither needs a token and neither tells anything but the checks' names and outcomes: no
versions, no revisions, no configuration."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from portico.config import Settings
from portico.db import Database
from portico.jobs.queue import JobQueue
from portico.migrate import SCRIPT_LOCATION

logger = logging.getLogger("portico.health")
CHECKS = ("database", "migrations", "jobs")
# A `portico worker` beats every 10 s (procrastinate's default); one silent this long is gone.
WORKER_HEARTBEAT_SECONDS = 60


@cache
def migration_heads() -> frozenset[str]:
    """The Alembic head revision(s) this code ships (read once per process)."""

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: dict[str, str]  # check -> "ok" | "failing" | "not checked"

    @property
    def ready(self) -> bool:
        return all(outcome == "ok" for outcome in self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, outcome in self.checks.items() if outcome == "failing"]


async def _applied_revisions(database: Database) -> set[str]:
    async with database.side_engine.connect() as connection:
        rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
        return {str(row[0]) for row in rows}


async def _jobs_alive(settings: Settings, jobs: JobQueue) -> bool:
    alive = jobs.worker_alive()
    if alive is not None:
        return alive
    if settings.runs_jobs_in_process:
        return False  # it should run here and does not (not started, or stopped)
    return await jobs.live_workers(WORKER_HEARTBEAT_SECONDS) > 0


async def readiness(settings: Settings, database: Database, jobs: JobQueue) -> Readiness:
    timeout = settings.readiness_timeout_seconds
    checks = dict.fromkeys(CHECKS, "not checked")
    try:
        applied = await asyncio.wait_for(_applied_revisions(database), timeout)
    except Exception as exc:  # the database is down, slow, or has no migrations table
        logger.warning("readiness: the database does not answer (%s)", type(exc).__name__)
        checks["database"] = "failing"
        return Readiness(checks)
    checks["database"] = "ok"
    checks["migrations"] = "ok" if applied == set(migration_heads()) else "failing"
    try:
        alive = await asyncio.wait_for(_jobs_alive(settings, jobs), timeout)
    except Exception as exc:
        logger.warning("readiness: the job runner could not be checked (%s)", type(exc).__name__)
        alive = False
    checks["jobs"] = "ok" if alive else "failing"
    return Readiness(checks)
