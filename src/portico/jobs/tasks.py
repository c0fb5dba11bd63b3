"""The tasks: exports, and the periodic maintenance and retention sweeps (abandoned exports
handed on, expired export files deleted, the issuer's consumer operations past their retention
and expired OAuth2 grants deleted, procrastinate's own finished rows tidied).

Periodic tasks are deferred by procrastinate's scheduler (one job per tick, whatever the number
of workers); every task is safe to run twice."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from procrastinate import App, JobContext
from procrastinate.jobs import Status
from sqlalchemy.ext.asyncio import AsyncSession

from portico.exports import runner
from portico.exports import service as export_service
from portico.files import service as file_service
from portico.idempotency import service as idempotency
from portico.issuer import operations
from portico.jobs.queue import MAINTENANCE, PURGE_IDEMPOTENCY, RUN_EXPORT, JobQueue
from portico.jobs.runtime import JobRuntime
from portico.oauth import service as oauth_service

logger = logging.getLogger("portico.jobs")
# procrastinate's own job rows: a job whose worker stopped sending heartbeats this long ago is
# marked failed (its export was handed on through the export row), and finished rows are kept
# for a few days for the operator.
STALLED_SECONDS = 120
KEEP_FINISHED_HOURS = 72


def runtime_of(context: JobContext) -> JobRuntime:
    runtime: JobRuntime = context.additional_context["runtime"]
    return runtime


async def recover_exports(runtime: JobRuntime, queue: JobQueue) -> int:
    """Defer again every export that no live worker holds."""
    async with runtime.database.transaction() as session:
        stale = await export_service.stale_export_ids(session)
    for export_id in stale:
        await queue.defer_export(export_id)
    if stale:
        logger.info("deferred %d unclaimed or abandoned export(s) again", len(stale))
    return len(stale)


BATCH = 100


async def _delete_stored(
    runtime: JobRuntime,
    find: Callable[[AsyncSession], Awaitable[list[tuple[int, str | None]]]],
    mark: Callable[[AsyncSession, int], Awaitable[None]],
) -> int:
    """Delete from the store, batch by batch, the objects `find` lists (row id, key), marking
    each row done (`mark`) once its bytes are gone; a crash between the two deletes again,
    which is harmless. Returns how many rows were done."""
    done = 0
    while True:
        async with runtime.database.transaction() as session:
            found = await find(session)
        for row_id, key in found:
            if key:
                await runtime.storage.delete(key)  # deleting a missing object is not an error
            async with runtime.database.transaction() as session:
                await mark(session, row_id)
        done += len(found)
        if len(found) < BATCH:
            return done


async def expire_exports(runtime: JobRuntime) -> int:
    """Delete the files of exports past their `expiresAt`."""
    return await _delete_stored(
        runtime,
        lambda session: export_service.expired_files(session, limit=BATCH),
        lambda session, export_id: export_service.mark_purged(session, export_id=export_id),
    )


async def purge_erased_files(runtime: JobRuntime) -> int:
    """Delete from the store the bytes of files erased with their consumer."""
    return await _delete_stored(
        runtime,
        lambda session: file_service.erased_unpurged(session, limit=BATCH),
        lambda session, file_id: file_service.mark_purged(session, file_id=file_id),
    )


async def purge_old_operations(runtime: JobRuntime) -> int:
    """Delete the issuer's consumer operations past their retention (3 months by default)."""
    async with runtime.database.transaction() as session:
        return await operations.purge_operations(
            session, retention_days=runtime.settings.issuer_operation_retention_days
        )


async def retention_sweeps(runtime: JobRuntime) -> None:
    """What the retention rules delete: old consumer operations, expired OAuth2 grants, the
    bytes of deleted consumers' files."""
    files = await purge_erased_files(runtime)
    if files:
        logger.info("deleted the bytes of %d erased file(s)", files)
    purged = await purge_old_operations(runtime)
    if purged:
        logger.info("deleted %d consumer operation(s) past their retention", purged)
    grants = await oauth_service.purge_expired(runtime.database)
    if grants:
        logger.info("deleted %d expired OAuth2 grant(s)", grants)


async def tidy_job_table(app: App) -> None:
    manager = app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_SECONDS):
        if job.id is not None:
            await manager.finish_job_by_id_async(job.id, status=Status.FAILED, delete_job=False)
    await manager.delete_old_jobs(nb_hours=KEEP_FINISHED_HOURS, include_failed=True)


def register(app: App, queue: JobQueue, *, maintenance_cron: str, purge_cron: str) -> None:
    """Register every task on `app` (one app per process)."""

    @app.task(name=RUN_EXPORT, pass_context=True)
    async def run_export(context: JobContext, export_id: int) -> None:
        await runner.run_export(runtime_of(context), export_id=export_id)

    @app.task(name=MAINTENANCE, pass_context=True, queueing_lock=MAINTENANCE)
    async def maintenance(context: JobContext, timestamp: int | None = None) -> None:
        runtime = runtime_of(context)
        await recover_exports(runtime, queue)
        deleted = await expire_exports(runtime)
        if deleted:
            logger.info("deleted the files of %d expired export(s)", deleted)
        await retention_sweeps(runtime)
        await tidy_job_table(context.app)

    @app.task(name=PURGE_IDEMPOTENCY, pass_context=True, queueing_lock=PURGE_IDEMPOTENCY)
    async def purge_idempotency(context: JobContext, timestamp: int | None = None) -> None:
        count = await idempotency.purge_expired(runtime_of(context).database)
        if count:
            logger.info("idempotency retention sweep deleted %d expired key(s)", count)

    schedules: list[tuple[Any, str]] = [
        (maintenance, maintenance_cron),
        (purge_idempotency, purge_cron),
    ]
    for task, cron in schedules:
        if cron:
            app.periodic(cron=cron)(task)
