"""A real `portico worker` killed (SIGKILL) in the middle of a large export on PostgreSQL: the
export's lease runs out, another worker takes it over, and it completes exactly once (one
COMPLETED row, one file, the dead attempt's leftovers deleted)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.config import Settings
from portico.enums import AccountPortal, ExportStatus
from portico.exports.models import Export
from portico.storage.local import LocalStorage
from tests.factories.money import add_flows, fund_wallet
from tests.support.db import PG_URL, make_settings
from tests.support.money import Money
from tests.support.portal import assert_ok

ROWS = 40_000
LEASE_SECONDS = 3

pytestmark = [
    pytest.mark.skipif(
        not PG_URL, reason="PostgreSQL only: `portico worker` shares its queue there"
    ),
    pytest.mark.parametrize("portal_kind", [AccountPortal.CONSUMER], ids=["consumer"]),
]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # the API process only defers; the workers below run the jobs
    return make_settings(database_url, tmp_path, jobs_in_process=False, jobs_maintenance_cron="")


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[Any]:
    env = {
        **os.environ,
        "PORTICO_DATABASE_URL": settings.resolved_database_url,
        "PORTICO_VAR_DIR": str(settings.var_dir),
        "PORTICO_SECRET_KEY": settings.secret_key,
        "PORTICO_LOG_LEVEL": "WARNING",
        "PORTICO_EXPORT_LEASE_SECONDS": str(LEASE_SECONDS),
        "PORTICO_JOBS_MAINTENANCE_CRON": "* * * * * *",  # every second
        "PORTICO_JOBS_CONCURRENCY": "1",
    }
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-m", "portico.cli", "worker"], env=env)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


async def export_row(session: AsyncSession, biz_id: str) -> Export:
    session.expire_all()
    return (await session.execute(select(Export).where(Export.biz_id == biz_id))).scalar_one()


async def until(session: AsyncSession, biz_id: str, statuses: set[str], timeout: float) -> Export:
    deadline = time.monotonic() + timeout
    while True:
        row = await export_row(session, biz_id)
        if row.status in statuses:
            return row
        assert time.monotonic() < deadline, (row.status, row.attempts)
        await asyncio.sleep(0.02)


async def test_a_killed_worker_export_completes_once(
    money: Money, session: AsyncSession, settings: Settings, start_worker: Any
) -> None:
    wallet = await fund_wallet(session, workspace=money.alice.workspace, amount="1")
    await add_flows(session, wallet=wallet, count=ROWS)
    await session.commit()
    requested = assert_ok(
        await money.alice.post("/exports", {"exportType": "WALLET_FLOWS", "format": "XLSX"}),
        "2001",
        201,
    )
    biz_id = requested["bizId"]

    first = start_worker()
    await until(session, biz_id, {ExportStatus.PROCESSING}, timeout=60)
    await asyncio.sleep(0.3)  # well into writing the rows
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed = await export_row(session, biz_id)
    assert killed.status == ExportStatus.PROCESSING and killed.attempts == 1, "finished too soon"
    dead_key = killed.storage_key

    start_worker()
    done = await until(session, biz_id, {ExportStatus.COMPLETED, ExportStatus.FAILED}, timeout=90)
    assert done.status == ExportStatus.COMPLETED, done.failure_reason
    assert done.attempts == 2 and done.row_count == ROWS + 1
    assert done.storage_key != dead_key

    exports = (await session.execute(select(Export.status))).scalars().all()
    assert exports == [ExportStatus.COMPLETED]
    storage = LocalStorage(settings.resolved_storage_dir)
    assert await storage.list_keys() == [done.storage_key]  # no second file, no partial one
    download = await money.alice.get(f"/exports/{biz_id}/download")
    assert download.status_code == 200 and len(download.content) == done.file_size


async def test_a_stopped_worker_finishes_or_releases_its_export(
    money: Money, session: AsyncSession, settings: Settings, start_worker: Any
) -> None:
    """SIGTERM mid-export: the worker stops taking jobs, gives the running one its grace
    period and exits 0; the export is then completed, or released to the next worker, which
    completes it once."""
    wallet = await fund_wallet(session, workspace=money.alice.workspace, amount="1")
    await add_flows(session, wallet=wallet, count=ROWS)
    await session.commit()
    requested = assert_ok(
        await money.alice.post("/exports", {"exportType": "WALLET_FLOWS", "format": "XLSX"}),
        "2001",
        201,
    )
    biz_id = requested["bizId"]
    first = start_worker()
    await until(session, biz_id, {ExportStatus.PROCESSING}, timeout=60)
    first.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(first.wait, 30) == 0
    stopped = await export_row(session, biz_id)
    if stopped.status != ExportStatus.COMPLETED:  # released: the next worker takes it over
        start_worker()
    done = await until(session, biz_id, {ExportStatus.COMPLETED, ExportStatus.FAILED}, timeout=90)
    assert done.status == ExportStatus.COMPLETED, done.failure_reason
    assert done.row_count == ROWS + 1
    assert (await session.execute(select(Export.status))).scalars().all() == [
        ExportStatus.COMPLETED
    ]
