"""Export throughput and memory: a wallet's flows through the real export job, and the floor.

It answers: how fast does `portico worker` write an export of `--rows` wallet flows (CSV and
XLSX), how much memory does it take to do it, and how close is that to what a bare script
does with the same rows and the same writer library (the floor)?

Self-contained, from the repository root, with a PostgreSQL server on loopback (trust auth):

    .venv/bin/python bench/export.py

Setup (not measured): a fresh database `portico_bench_<random>`, migrated with `portico db
upgrade` (procrastinate's schema included) and seeded like `bench/transfers.py` (one consumer
account, its USD wallet), then `--rows` ledger entries for that wallet in one INSERT.

Measured, per format:

- the export job: a fresh `portico worker` process (local storage under the work directory,
  concurrency 1) is started and left to settle; its idle RSS is read from /proc. The export row
  is created through the export service and its job deferred on the queue, as `POST exports`
  does; the job's time is the row's `startedAt` to `completedAt`, its peak memory the worker's
  VmHWM (peak RSS) minus its idle RSS. The worker is then stopped, so each format has its own.
- the floor: a child process of this script that imports only asyncpg and the writer, records
  its idle RSS, selects the same columns of the same rows through a server-side cursor (2,000
  rows a fetch, like the job's `yield_per`) and writes them to a local file with `csv.writer`
  (the values as they come) or xlsxwriter's constant-memory `write_row` (each value `str()`'d:
  the job writes text cells too), with no formatting of its own.

Goals (issue 12): the worker's peak under 100 MB above idle; the job at least 0.7 times the floor's
rows/s. The database is dropped at the end (`--keep-database` keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import secrets
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import asyncpg

FLOOR_QUERY = (
    "SELECT e.id, w.biz_id, e.currency, e.amount, e.biz_type, e.order_biz_id,"
    " e.balance_before, e.balance_after, e.remark, e.created_at"
    " FROM ledger_entries e JOIN wallets w ON w.id = e.wallet_id"
    " WHERE e.workspace_id = $1 AND e.account = 'WALLET' AND e.id > w.flows_since"
    " ORDER BY e.id"
)
BATCH = 2000
MB = 1024 * 1024


def _status_kib(pid: int | str, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


# --- the floor (a child process: only asyncpg and the writer loaded) -------------------------


async def _floor(dsn: str, workspace_id: int, file_format: str, out: Path) -> tuple[int, float]:
    connection = await asyncpg.connect(dsn)
    rows = 0
    started = time.perf_counter()
    try:
        async with connection.transaction():
            cursor = connection.cursor(FLOOR_QUERY, workspace_id, prefetch=BATCH)
            if file_format == "CSV":
                with out.open("w", newline="", encoding="utf-8") as file:
                    writer = csv.writer(file)
                    batch = []
                    async for record in cursor:
                        batch.append(record)
                        if len(batch) == BATCH:
                            writer.writerows(batch)
                            rows += len(batch)
                            batch.clear()
                    writer.writerows(batch)
                    rows += len(batch)
            else:
                import xlsxwriter

                book = xlsxwriter.Workbook(str(out), {"constant_memory": True})
                sheet = book.add_worksheet()
                async for record in cursor:
                    sheet.write_row(rows, 0, [str(value) for value in record])
                    rows += 1
                book.close()
    finally:
        await connection.close()
    return rows, time.perf_counter() - started


def floor_child(args: argparse.Namespace) -> int:
    idle = _status_kib("self", "VmRSS")
    rows, seconds = asyncio.run(_floor(args.dsn, args.workspace_id, args.floor, Path(args.out)))
    peak = _status_kib("self", "VmHWM")
    print(f"{rows} {seconds} {(peak - idle) * 1024}")
    return 0


# --- setup -----------------------------------------------------------------------------------


async def add_history(database_url: str, rows: int) -> int:
    """`rows` credits for the seeded account's USD wallet; returns its workspace id."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        wallet = await connection.fetchrow(
            "SELECT id, workspace_id, institution_id FROM wallets ORDER BY id LIMIT 1"
        )
        posting = await connection.fetchval(
            "INSERT INTO ledger_postings (biz_id, institution_id, posting_type, created_at)"
            " VALUES ($1, $2, 'BENCH', now()) RETURNING id",
            secrets.token_hex(8),
            wallet["institution_id"],
        )
        await connection.execute(
            "INSERT INTO ledger_entries (posting_id, institution_id, currency, account,"
            " wallet_id, workspace_id, amount, balance_before, balance_after, biz_type,"
            " order_biz_id, remark, created_at)"
            " SELECT $1, $2, 'USD', 'WALLET', $3, $4, 100, i * 100, (i + 1) * 100, 'RECHARGE',"
            " 'bench-order', CASE WHEN i % 10 = 0 THEN '=SUM(A1:A2)' ELSE 'monthly top-up' END,"
            " now() - make_interval(secs => $5 - i)"
            " FROM generate_series(1, $5) AS i",
            posting,
            wallet["institution_id"],
            wallet["id"],
            wallet["workspace_id"],
            rows,
        )
        await connection.execute("ANALYZE")
        return int(wallet["workspace_id"])
    finally:
        await connection.close()


# --- the export job --------------------------------------------------------------------------


async def _request_export(database_url: str, workspace_id: int, file_format: str) -> int:
    from sqlalchemy import select

    from portico.config import Settings
    from portico.db import Database, create_engine
    from portico.exports import service as export_service
    from portico.jobs.app import build_jobs
    from portico.tenancy import across_workspaces
    from portico.workspaces import permissions
    from portico.workspaces.models import Workspace

    settings = Settings(database_url=database_url)
    database = Database(create_engine(database_url, null_pool=True))
    jobs = build_jobs(settings)
    try:
        async with database.sessionmaker() as session, session.begin():
            workspace = (
                await session.execute(
                    across_workspaces(
                        select(Workspace).where(Workspace.id == workspace_id), "the bench's"
                    )
                )
            ).scalar_one()
            export = await export_service.create_export(
                session,
                workspace=workspace,
                permissions=frozenset(permissions.all_codes()),
                actor="bench",
                export_type="WALLET_FLOWS",
                file_format=file_format,
                start=None,
                end=None,
                wallet_biz_id=None,
            )
        await jobs.defer_export(export.id)
        return export.id
    finally:
        await jobs.close()
        await database.dispose()


async def _wait_done(database_url: str, export_id: int, timeout: float) -> tuple[int, float]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    deadline = time.monotonic() + timeout
    try:
        while True:
            row = await connection.fetchrow(
                "SELECT status, row_count, extract(epoch FROM completed_at - started_at) AS s,"
                " failure_reason FROM exports WHERE id = $1",
                export_id,
            )
            if row["status"] == "COMPLETED":
                return int(row["row_count"]), float(row["s"])
            if row["status"] == "FAILED":
                raise RuntimeError(f"export failed: {row['failure_reason']}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"export still {row['status']} after {timeout}s")
            await asyncio.sleep(0.1)
    finally:
        await connection.close()


def _settle(pid: int, seconds: float = 1.0, limit: float = 60.0) -> int:
    """The process's RSS once it has stopped growing for `seconds` (its idle size)."""
    deadline = time.monotonic() + limit
    last = _status_kib(pid, "VmRSS")
    steady_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = _status_kib(pid, "VmRSS")
        if abs(now - last) > 256:
            last, steady_since = now, time.monotonic()
        elif time.monotonic() - steady_since >= seconds:
            return now
    return last


def run_job(
    env: dict[str, str], database_url: str, workspace_id: int, file_format: str
) -> tuple[int, float, int]:
    worker = subprocess.Popen(  # noqa: S603 - our own console script
        [str(Path(sys.executable).with_name("portico")), "worker", "--concurrency", "1"], env=env
    )
    try:
        idle = _settle(worker.pid)
        export_id = asyncio.run(_request_export(database_url, workspace_id, file_format))
        rows, seconds = asyncio.run(_wait_done(database_url, export_id, timeout=900))
        peak = _status_kib(worker.pid, "VmHWM")
        return rows, seconds, (peak - idle) * 1024
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def run_floor(dsn: str, workspace_id: int, file_format: str, work: Path) -> tuple[int, float, int]:
    done = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [
            sys.executable,
            __file__,
            "--floor",
            file_format,
            "--dsn",
            dsn,
            "--workspace-id",
            str(workspace_id),
            "--out",
            str(work / f"floor.{file_format.lower()}"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    rows, seconds, peak = done.stdout.split()
    return int(rows), float(seconds), int(peak)


def _line(label: str, rows: int, seconds: float, peak: int) -> str:
    rate = rows / seconds
    return (
        f"  {label:<12} {rows:>8} rows {seconds:7.2f} s {rate:>9,.0f} rows/s"
        f"   peak {peak / MB:6.1f} MB above idle"
    )


def _summary(
    repeat: int, jobs: list[tuple[int, float, int]], floors: list[tuple[int, float, int]]
) -> str:
    job, floor = min(jobs, key=lambda r: r[1]), min(floors, key=lambda r: r[1])
    ratio = (job[0] / job[1]) / (floor[0] / floor[1])
    return (
        f"  best of {repeat}: job {job[0] / job[1]:,.0f} rows/s, floor "
        f"{floor[0] / floor[1]:,.0f} rows/s, job/floor {ratio:.2f}; highest peak above idle: "
        f"job {max(r[2] for r in jobs) / MB:.1f} MB, floor {max(r[2] for r in floors) / MB:.1f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Export rows/s and peak RSS: the real export job against a bare script.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--rows", type=int, default=100_000, help="wallet flows exported")
    parser.add_argument("--formats", nargs="+", choices=("CSV", "XLSX"), default=["CSV", "XLSX"])
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each, interleaved; the best is reported"
    )
    parser.add_argument("--keep-database", action="store_true")
    # the floor's child process (internal)
    parser.add_argument("--floor", choices=("CSV", "XLSX"), help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    parser.add_argument("--workspace-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        return floor_child(args)

    from transfers import (
        SetupError,
        _load,
        _loopback_only,
        drop_database_quietly,
        migrated_database,
        seed,
    )

    pg_url = args.pg_url.rstrip("/")
    _loopback_only(pg_url, "--pg-url")
    db_name = f"portico_bench_{secrets.token_hex(4)}"
    scheme, rest = pg_url.split("://", 1)
    database_url = f"{scheme.split('+')[0]}+asyncpg://{rest}/{db_name}"
    dsn = f"postgresql://{rest}/{db_name}"
    print(f"before: {_load()}")
    status = 0
    try:
        with tempfile.TemporaryDirectory(prefix="export-bench-") as work_dir:
            work = Path(work_dir)
            env = {
                **os.environ,
                "PORTICO_DATABASE_URL": database_url,
                "PORTICO_VAR_DIR": str(work / "var"),
                "PORTICO_LOG_LEVEL": "WARNING",
                "PORTICO_JOBS_MAINTENANCE_CRON": "",
                "PORTICO_IDEMPOTENCY_PURGE_CRON": "",
            }
            migrated_database(pg_url, db_name, env)
            asyncio.run(seed(database_url, 1, Decimal(1)))
            workspace_id = asyncio.run(add_history(database_url, args.rows))
            print(f"database {db_name}: {args.rows:,} wallet flows (+1 funding entry)")
            for file_format in args.formats:
                print(f"{file_format}:", flush=True)
                jobs, floors = [], []
                for _ in range(args.repeat):  # interleaved, so both see the same machine
                    jobs.append(run_job(env, database_url, workspace_id, file_format))
                    print(_line("export job", *jobs[-1]), flush=True)
                    floors.append(run_floor(dsn, workspace_id, file_format, work))
                    print(_line("floor", *floors[-1]), flush=True)
                print(_summary(args.repeat, jobs, floors), flush=True)
    except SetupError as exc:
        print(f"failed: {exc}", file=sys.stderr)
        status = 2
    finally:
        if not args.keep_database:
            drop_database_quietly(pg_url, db_name)
        print(f"after: {_load()}")
    return status


if __name__ == "__main__":
    sys.exit(main())
