"""The job queue of a process: defers jobs, and runs a worker (in the API process, or as
`portico worker`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from procrastinate import App
from procrastinate.exceptions import AlreadyEnqueued

from portico.jobs.runtime import JobRuntime

logger = logging.getLogger("portico.jobs")

RUN_EXPORT = "portico.run_export"
MAINTENANCE = "portico.maintenance"
PURGE_IDEMPOTENCY = "portico.purge_idempotency"
COUNT_JOBS = "SELECT status::text AS status, count(*) AS n FROM procrastinate_jobs GROUP BY status"
LIVE_WORKERS = (
    "SELECT count(*) AS n FROM procrastinate_workers "
    "WHERE last_heartbeat > now() - make_interval(secs => %(seconds)s)"
)


class JobQueue:
    """A procrastinate app whose tasks are registered, opened on first use."""

    def __init__(self, app: App, *, in_memory: bool) -> None:
        self.app = app
        self.in_memory = in_memory
        self._opened = False
        self._open_lock = asyncio.Lock()
        self._worker: asyncio.Task[None] | None = None

    async def open(self) -> None:
        async with self._open_lock:
            if not self._opened:
                await self.app.open_async()
                self._opened = True

    async def close(self) -> None:
        await self.stop_worker()
        if self._opened:
            await self.app.close_async()
            self._opened = False

    async def defer(self, task: str, *, queueing_lock: str | None = None, **kwargs: Any) -> None:
        """Queue `task`; one already waiting with the same `queueing_lock` is enough."""
        await self.open()
        deferrer = self.app.configure_task(task, queueing_lock=queueing_lock)
        with contextlib.suppress(AlreadyEnqueued):
            await deferrer.defer_async(**kwargs)

    async def defer_export(self, export_id: int) -> None:
        await self.defer(RUN_EXPORT, queueing_lock=f"export:{export_id}", export_id=export_id)

    def worker_options(self, runtime: JobRuntime, *, install_signal_handlers: bool) -> Any:
        settings = runtime.settings
        return {
            "concurrency": settings.jobs_concurrency,
            "additional_context": {"runtime": runtime},
            "install_signal_handlers": install_signal_handlers,
            # finished jobs are not kept (the export rows are the record); failures are kept
            # on PostgreSQL for the operator, and the in-memory queue keeps nothing
            "delete_jobs": "always" if self.in_memory else "successful",
            "listen_notify": True,
            # jobs still running this long after a stop request are aborted; their export is
            # picked up again by the next worker when its lease runs out
            "shutdown_graceful_timeout": 10.0,
        }

    async def run_worker(self, runtime: JobRuntime) -> None:
        """Run a worker until the process is told to stop (`portico worker`)."""
        await self.open()
        await self.app.run_worker_async(
            **self.worker_options(runtime, install_signal_handlers=True)
        )

    async def start_worker(self, runtime: JobRuntime) -> None:
        """Run a worker inside this (API) process, in the background."""
        await self.open()
        options = self.worker_options(runtime, install_signal_handlers=False)
        self._worker = asyncio.create_task(self.app.run_worker_async(**options))
        self._worker.add_done_callback(_report_stop)

    def worker_alive(self) -> bool | None:
        """Whether this process's in-process worker runs (None: it runs none)."""
        if self._worker is None:
            return None
        return not self._worker.done()

    async def counts(self) -> dict[str, int]:
        """Jobs by state: `queued`, `running`, `failed` (from procrastinate's job table, or the
        in-memory queue's rows)."""
        states = {"todo": "queued", "doing": "running", "aborting": "running", "failed": "failed"}
        found = dict.fromkeys(("queued", "running", "failed"), 0)
        if self.in_memory:
            connector: Any = self.app.connector
            rows: Any = [{"status": job["status"], "n": 1} for job in connector.jobs.values()]
        else:
            await self.open()
            rows = await self.app.connector.execute_query_all_async(COUNT_JOBS)
        for row in rows:
            state = states.get(str(row["status"]))
            if state:
                found[state] += int(row["n"])
        return found

    async def live_workers(self, within_seconds: int) -> int:
        """Workers (of any process) whose last heartbeat is at most `within_seconds` old."""
        await self.open()
        rows = await self.app.connector.execute_query_all_async(
            LIVE_WORKERS, seconds=within_seconds
        )
        return int(rows[0]["n"])

    async def stop_worker(self) -> None:
        if self._worker is None:
            return
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None


def _report_stop(task: asyncio.Task[None]) -> None:
    """An in-process worker ends only when the app stops; anything else is worth a log line
    (the API keeps serving, and the maintenance job of another process, or the next start,
    picks up what was left)."""
    if not task.cancelled() and task.exception() is not None:
        logger.error("the in-process job worker stopped", exc_info=task.exception())
