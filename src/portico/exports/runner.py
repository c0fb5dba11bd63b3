"""The export job: claim the row, stream the records into the writer and the store under a
renewed lease, and complete the row (or fail it) once.

Memory stays flat: rows come from a server-side cursor in batches (`yield_per`), each batch is
written (in a thread: xlsxwriter and the csv module are CPU work) and its bytes go to the
store's writer, which sends them on in parts."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from portico.db import stream_batches
from portico.exports import service
from portico.exports.models import Export
from portico.exports.sources import SOURCES, Row, Source
from portico.exports.writers import ExportWriter, make_writer
from portico.ids import new_token
from portico.jobs.runtime import JobRuntime
from portico.money import Currency
from portico.storage import ObjectWriter

logger = logging.getLogger("portico.exports")
BATCH = 2000


class LeaseLost(Exception):
    """Another worker took the export over (this one was presumed dead)."""


class TooManyRows(Exception):
    pass


@dataclass
class Written:
    rows: int
    size: int
    sha256: str


class Lease:
    """Renews the export's lease every third of its length while the job runs."""

    def __init__(self, runtime: JobRuntime, export_id: int, token: str) -> None:
        self.runtime, self.export_id, self.token = runtime, export_id, token
        self.length = timedelta(seconds=runtime.settings.export_lease_seconds)
        self.lost = False

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.length.total_seconds() / 3)
            try:
                async with self.runtime.database.side_transaction() as session:
                    held = await service.renew_lease(
                        session, export_id=self.export_id, token=self.token, lease=self.length
                    )
            except Exception:
                logger.exception("renewing the lease of export %s failed", self.export_id)
                continue
            if not held:
                self.lost = True
                return

    def check(self) -> None:
        if self.lost:
            raise LeaseLost()

    @contextlib.asynccontextmanager
    async def kept(self) -> AsyncIterator[Lease]:
        task = asyncio.create_task(self._renew_forever())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _scales(runtime: JobRuntime) -> dict[str, int]:
    async with runtime.database.transaction() as session:
        rows = await session.execute(select(Currency.code, Currency.scale))
        return {row[0]: row[1] for row in rows}


def _add_batch(
    writer: ExportWriter, source: Source, batch: Sequence[Row], scales: dict[str, int], ws: int
) -> bytes:
    cells = source.cells
    return writer.add([cells(row, scales, ws) for row in batch])


async def write_export(
    runtime: JobRuntime, export: Export, output: ExportWriter, sink: ObjectWriter, lease: Lease
) -> Written:
    """Stream the export's rows through `output` into `sink` (not yet committed)."""
    source = SOURCES[export.export_type]
    filters = service.filters_of(export)
    scales = await _scales(runtime)
    limit = runtime.settings.export_max_rows
    digest = hashlib.sha256()
    rows = size = 0

    async def emit(data: bytes) -> None:
        nonlocal size
        if data:
            digest.update(data)
            size += len(data)
            await sink.write(data)

    # Core rows rather than ORM entities; the statement is built by `scoped`, so it reads
    # this workspace's rows only.
    formatting: asyncio.Future[bytes] | None = None
    batches = stream_batches(runtime.database, source.query(filters), BATCH)
    async with contextlib.aclosing(batches):
        try:
            async for batch in batches:
                rows += len(batch)
                if rows > limit:
                    raise TooManyRows()
                lease.check()
                # the next batch is fetched while this one is formatted in a thread
                if formatting is not None:
                    await emit(await formatting)
                formatting = asyncio.ensure_future(
                    asyncio.to_thread(
                        _add_batch, output, source, batch, scales, filters.workspace_id
                    )
                )
        except BaseException:
            if formatting is not None:  # let the thread finish before the writer is dropped
                with contextlib.suppress(Exception):
                    await formatting
            raise
    if formatting is not None:
        await emit(await formatting)
    chunks = output.finish()
    while (chunk := await asyncio.to_thread(next, chunks, b"")) != b"":
        await emit(chunk)
    lease.check()
    return Written(rows=rows, size=size, sha256=digest.hexdigest())


async def run_export(runtime: JobRuntime, *, export_id: int) -> None:
    """Produce the export's file, once; a no-op when it is done or a live worker has it."""
    settings, storage = runtime.settings, runtime.storage
    token = new_token(16)
    async with runtime.database.transaction() as session:
        export, leftover = await service.claim(
            session,
            export_id=export_id,
            token=token,
            lease=timedelta(seconds=settings.export_lease_seconds),
            max_attempts=settings.export_max_attempts,
        )
    if leftover:
        await storage.delete(leftover)  # what a dead attempt left behind
    if export is None or export.storage_key is None:
        return
    key = export.storage_key
    lease = Lease(runtime, export.id, token)
    source = SOURCES[export.export_type]
    output = make_writer(export.format, source.columns, source.text_indexes)
    sink = storage.writer(key)
    reason: str | None = None
    try:
        async with lease.kept():
            written = await write_export(runtime, export, output, sink, lease)
            await sink.commit()
    except LeaseLost:
        await sink.abort()
        logger.warning("export %s was taken over by another worker", export.biz_id)
        return
    except TooManyRows:
        await sink.abort()
        reason = f"more than {settings.export_max_rows} rows: narrow the time window"
    except Exception:
        await sink.abort()
        logger.exception("export %s failed", export.biz_id)
        reason = "internal error"
    except BaseException:
        # the worker is stopping: the lease runs out and another worker starts over
        await sink.abort()
        raise
    finally:
        output.discard()
    async with runtime.database.transaction() as session:
        if reason is not None:
            await service.fail(session, export_id=export.id, token=token, reason=reason)
            return
        done = await service.complete(
            session,
            export=export,
            token=token,
            retention=timedelta(seconds=settings.export_retention_seconds),
            content_type=output.content_type,
            size=written.size,
            sha256=written.sha256,
            rows=written.rows,
        )
    if not done:
        # the lease ran out just before the end and another worker has the export now
        await storage.delete(key)
