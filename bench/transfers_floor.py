"""What PostgreSQL alone can do: a transfer's SQL, with no application in the loop.

`bench/transfers.py` measures the whole platform. This one answers the question beneath it: on
this machine, how many transfers per second can the database book at all, if the server cost
nothing? It drives, with `pgbench` (C, `-M prepared`, one connection a client), the statements
the server sends for one `transfer/command/create` on PostgreSQL, in the same order (captured
with `log_statement = 'all'`), in three designs. "statements" (`transfers_floor.sql`), one
transaction as the Python path books it (and as every transfer was booked before the booking
function):

    BEGIN
    the caller: session + account + default workspace membership + workspace + role
    claim the Idempotency-Key          (INSERT … ON CONFLICT DO NOTHING RETURNING id)
    lock the two wallets               (SELECT … FOR UPDATE OF wallets ORDER BY id)
    the transfer order                 (INSERT)
    the posting, its two entries and the two new balances   (one CTE statement)
    store the answer under the key     (UPDATE, a ~640-byte body)
    COMMIT

"function" (`transfers_floor_function.sql`), what the route sends for a payment to a wallet:
the caller's session, then one `portico_book_transfer(...)` call (claim, lock, order, posting,
entries, balances, stored answer), each a statement of its own without BEGIN/COMMIT. "caller"
(`transfers_floor_caller.sql`), what the short path (`web/fast_transfers.py`) sends: one
`portico_pay_as_caller(...)` call, the caller's check and the booking in one round trip.

Differences in the "statements" design, all in the database's favour or neutral: the new
balances are computed by the UPDATE (`available + delta`) instead of sent as values, the
entries' before/after columns are constants, and bizIds are derived from ids with `lpad` (the
seeded ids line up: account n owns workspace n and wallet n).

Self-contained, like `bench/transfers.py` (whose database setup and seeding it reuses): a fresh
database `portico_bench_<random>`, migrated and seeded, dropped at the end. Needs `pgbench` on
the PATH (Debian: postgresql-client). Prints per scenario (many accounts; one hot pair) and
design: transactions/s, p50/p99 latency from pgbench's per-transaction log, and the CPU
used by the database's backends and by pgbench itself, per transaction; then `portico ledger
verify` checks the books.

    .venv/bin/python bench/transfers_floor.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from transfers import (
    SetupError,
    _command,
    _count_orders,
    _load,
    _loopback_only,
    _machine_ticks,
    _pct,
    drop_database_quietly,
    migrated_database,
    seed,
)

PICK = {
    "many": r"""\set a random(1, :n)
\set b random(1, :n - 1)
\set b CASE WHEN :b >= :a THEN :b + 1 ELSE :b END
""",
    "hot": r"""\set a random(1, 2)
\set b 3 - :a
""",
}

# "statements": the transaction Portico sent before the booking function (and still sends on
# the Python path); "function": what it sends now for a payment to a wallet.
DESIGNS = {
    "statements": Path(__file__).with_name("transfers_floor.sql"),
    "function": Path(__file__).with_name("transfers_floor_function.sql"),
    "caller": Path(__file__).with_name("transfers_floor_caller.sql"),
}


async def prepare(database_url: str, accounts: int) -> None:
    """Give the seeded wallets and a session per account the bizIds the script derives."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""), timeout=10)
    try:
        misaligned = await connection.fetchval(
            "SELECT count(*) FROM wallets w JOIN workspace_members m"
            " ON m.workspace_id = w.workspace_id AND m.is_owner"
            " WHERE w.workspace_id <> w.id OR m.account_id <> w.id"
        )
        if misaligned or await connection.fetchval("SELECT max(id) FROM wallets") != accounts:
            raise SetupError("seeded ids do not line up (wallet n in workspace n of account n)")
        await connection.execute("UPDATE wallets SET biz_id = 'W' || lpad(id::text, 15, '0')")
        await connection.execute("UPDATE accounts SET biz_id = 'A' || lpad(id::text, 15, '0')")
        await connection.execute(
            "INSERT INTO auth_sessions (biz_id, account_id, login_time, last_activity_time,"
            " expires_at) SELECT 'S' || lpad(id::text, 31, '0'), id, now(), now(),"
            " now() + interval '1 day' FROM accounts"
        )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def run_pgbench(
    args: argparse.Namespace, db_name: str, scenario: str, design: str, work: Path
) -> tuple[list[str], int]:
    """One pgbench run of the scenario in one design; the report lines and the transactions."""
    script = work / f"{scenario}-{design}.sql"
    script.write_text(PICK[scenario] + DESIGNS[design].read_text())
    logs = work / f"{scenario}-{design}"
    logs.mkdir()
    url = _pgbench_options(args.pg_url, args.pg_socket)
    command = [
        "pgbench", *url, "--no-vacuum", "--protocol=prepared",
        f"--client={args.concurrency}", f"--jobs={args.jobs}", f"--time={args.duration:g}",
        f"--define=n={args.accounts}", f"--file={script}",
        "--log", f"--log-prefix={logs / 'tx'}", db_name,
    ]  # fmt: skip
    ticks, children = _machine_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    seconds = time.perf_counter() - started
    ticks_after, after = _machine_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SetupError(f"pgbench failed:\n{done.stdout}{done.stderr}")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    latencies = [
        int(line.split()[2]) / 1000.0
        for path in logs.iterdir()
        for line in path.read_text().splitlines()
    ]
    count = max(len(latencies), 1)
    pgbench = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    lines = [
        f"{scenario}, {design} ({args.concurrency} pgbench clients, {args.duration:g} s): "
        f"{len(latencies)} transactions, {failed.group(1) if failed else '?'} failed",
        f"  transfers/s {float(tps.group(1)) if tps else count / seconds:7.1f}"
        f"  p50 {_pct(latencies, 50):6.1f} ms  p99 {_pct(latencies, 99):6.1f} ms",
    ]
    if ticks and ticks_after and ticks_after[1] > ticks[1]:
        # Backends come and go with pgbench's connections: the machine's busy time less
        # pgbench's own is the database's (and whatever else runs, which should be nothing).
        busy_share = (ticks_after[0] - ticks[0]) / (ticks_after[1] - ticks[1])
        busy = busy_share * (os.cpu_count() or 1) * seconds
        lines.append(
            f"  machine busy {100 * busy_share:.0f}% of {os.cpu_count()} cores;"
            f" pgbench {1000 * pgbench / count:.2f} ms CPU per transfer,"
            f" the rest (PostgreSQL) {1000 * (busy - pgbench) / count:.2f} ms"
        )
    return lines, len(latencies)


def _pgbench_options(pg_url: str, socket_dir: str = "") -> list[str]:
    """pgbench's connection options for a postgresql://user@host:port URL (through the Unix
    socket in `socket_dir` if one is given)."""
    parts = urlsplit(pg_url)
    host = socket_dir or parts.hostname or "127.0.0.1"
    options = ["--host", host, "--port", str(parts.port or 5432)]
    return [*options, "--username", parts.username or "postgres"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description="pgbench the SQL of one transfer on a fresh PostgreSQL database.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--pg-socket",
        default="",
        help="pgbench connects through the Unix socket in this directory (as bench/transfers.py)",
    )
    parser.add_argument("--accounts", type=int, default=1000, help="accounts seeded")
    parser.add_argument("--concurrency", type=int, default=32, help="pgbench clients")
    parser.add_argument("--jobs", type=int, default=2, help="pgbench threads")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per scenario")
    parser.add_argument("--scenarios", nargs="+", choices=("many", "hot"), default=["many", "hot"])
    parser.add_argument(
        "--designs",
        nargs="+",
        choices=tuple(DESIGNS),
        default=list(DESIGNS),
        help="statements: BEGIN, 6 statements, COMMIT; function: the session, one booking"
        " call; caller: one portico_pay_as_caller call (the short path's design)",
    )
    args = parser.parse_args()
    if shutil.which("pgbench") is None:
        print("pgbench not found (Debian: apt-get install postgresql-client)", file=sys.stderr)
        return 2
    pg_url = args.pg_url.rstrip("/")
    _loopback_only(pg_url, "--pg-url")
    db_name = f"portico_bench_{secrets.token_hex(4)}"
    scheme, rest = pg_url.split("://", 1)
    database_url = f"{scheme.split('+')[0]}+asyncpg://{rest}/{db_name}"
    env = {**os.environ, "PORTICO_DATABASE_URL": database_url}
    print(f"before: {_load()}")
    status = 0
    try:
        migrated_database(pg_url, db_name, env)
        asyncio.run(seed(database_url, args.accounts, Decimal(1_000_000)))
        asyncio.run(prepare(database_url, args.accounts))
        print(f"database {db_name}: {args.accounts} funded accounts; no application running")
        with tempfile.TemporaryDirectory(prefix="transfers-floor-") as work:
            transactions = 0
            for scenario in args.scenarios:
                for design in args.designs:
                    lines, count = run_pgbench(args, db_name, scenario, design, Path(work))
                    transactions += count
                    print("\n".join(lines), flush=True)
        # Every transaction of every design books an order (a refusal, or a caller the check
        # does not serve, would not).
        orders = asyncio.run(_count_orders(pg_url, db_name))
        print(f"transfer orders in the database: {orders} ({transactions} transactions above)")
        if orders != transactions:
            print("failed: not every transaction booked an order", file=sys.stderr)
            status = 1
        verified = _command(env, "ledger", "verify")
        output = (verified.stdout + verified.stderr).strip()
        print(f"portico ledger verify (exit {verified.returncode}): {output}")
        if verified.returncode != 0:
            status = 1
    except SetupError as exc:
        print(f"failed: {exc}", file=sys.stderr)
        status = 2
    finally:
        drop_database_quietly(pg_url, db_name)
        print(f"after: {_load()}")
    return status


if __name__ == "__main__":
    sys.exit(main())
