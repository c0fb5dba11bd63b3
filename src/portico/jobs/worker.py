"""`portico worker`: a process that runs the background jobs (PostgreSQL)."""

from __future__ import annotations

import logging

from portico.config import Settings
from portico.db import Database
from portico.jobs.app import build_jobs
from portico.jobs.runtime import JobRuntime
from portico.jobs.tasks import recover_exports
from portico.storage import build_storage

logger = logging.getLogger("portico.jobs")


class WorkerUnavailable(Exception):
    """The embedded SQLite setup runs its jobs in the API process."""


async def run_worker(settings: Settings) -> None:
    """Run jobs until SIGINT/SIGTERM (running jobs get a grace period, then their exports are
    left for the next worker)."""
    if settings.is_sqlite:
        raise WorkerUnavailable(
            "on SQLite the API process runs the jobs itself; `portico worker` needs PostgreSQL"
        )
    database = Database.from_url(
        settings.resolved_database_url, pool_size=settings.jobs_concurrency + 2
    )
    storage = build_storage(settings)
    queue = build_jobs(settings)
    runtime = JobRuntime(settings, database, storage)
    try:
        await storage.open()
        # what was left unclaimed or abandoned while no worker ran
        await recover_exports(runtime, queue)
        logger.info("worker started (%d at a time)", settings.jobs_concurrency)
        await queue.run_worker(runtime)
    finally:
        await queue.close()
        await storage.close()
        await database.dispose()
