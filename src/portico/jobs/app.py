"""The process's job queue, with every task registered."""

from __future__ import annotations

from procrastinate import App, testing

from portico.config import Settings
from portico.jobs import tasks
from portico.jobs.connection import build_connector
from portico.jobs.queue import JobQueue


def build_jobs(settings: Settings) -> JobQueue:
    connector = build_connector(settings)
    queue = JobQueue(
        App(connector=connector), in_memory=isinstance(connector, testing.InMemoryConnector)
    )
    tasks.register(
        queue.app,
        queue,
        maintenance_cron=settings.jobs_maintenance_cron,
        purge_cron=settings.idempotency_purge_cron,
    )
    return queue
