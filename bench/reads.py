"""Signed-in read throughput: Portico against a floor serving the same reads with the same SQL.

It answers: what a signed-in read costs Portico beyond what the database and HTTP need. In one
run, on one fresh PostgreSQL database, it drives

- `portico serve --workers W` (the platform as deployed), and
- `bench/reads_floor.py` under uvicorn, W processes on one SO_REUSEPORT port (as `portico
  serve` runs them): one FastAPI route answering the same three reads with the statements
  Portico runs (compiled from Portico's own query code), straight through asyncpg, and a
  one-route FastAPI `/healthz`,

with the same load: `wrk` (C; Debian package `wrk`), `--connections` keep-alive connections on
`--threads` threads, each request signed in as one of `--logins` accounts in turn, for
`--duration` seconds after a `--warmup` run that is not counted. The reads, alternating between
Portico and the floor so drift on a shared machine hits both alike:

- `balance`: `GET /web/v1/consumer/wallets/{walletBizId}/balance`;
- `wallets`: `GET /web/v1/consumer/wallets`;
- `profile`: `GET /web/v1/consumer/profile`;
- `healthz`: `GET /healthz` (no sign-in).

Before measuring, each read is answered once by both and the answers compared (the same
envelope and data but the timestamp). Printed per read and server: requests/s, p50/p99 (from
wrk's latency distribution), non-2xx answers, and the CPU used per request by the server's
processes, by the database's backends and by wrk, read from /proc; then the ratio of Portico's
requests/s to the floor's. Self-contained like `bench/transfers.py` (whose setup it reuses):

    .venv/bin/python bench/reads.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from transfers import (
    API_PREFIX,
    Mailbox,
    Seeded,
    SetupError,
    _client,
    _cpu_by_pid,
    _cpu_used,
    _free_port,
    _interrupted,
    _load,
    _loopback_only,
    _machine_ticks,
    drop_database_quietly,
    migrated_database,
    seed,
    sign_in_all,
    start_server,
)

READS = ("balance", "wallets", "profile", "healthz")
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
LUA = """
local tokens = {%(tokens)s}
local paths = {%(paths)s}
local n = 0
request = function()
  n = n + 1
  local i = (n %% #tokens) + 1
  wrk.headers["Authorization"] = "Bearer " .. tokens[i]
  return wrk.format("GET", paths[i])
end
"""


# --- the floor ---------------------------------------------------------------------------------


def _serve_floor(port: int) -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        "reads_floor:app", access_log=False, log_level="warning", server_header=False
    )
    uvicorn.Server(config).run(sockets=[sock])


@dataclass
class Floor:
    processes: list[multiprocessing.process.BaseProcess]
    base_url: str

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join(10)


def start_floor(workers: int, port: int, env: dict[str, str]) -> Floor:
    os.environ.update(env)  # the spawned processes inherit it
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_serve_floor, args=(port,)) for _ in range(workers)]
    for process in processes:
        process.start()
    floor = Floor(list(processes), f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=floor.base_url, timeout=2.0, trust_env=False) as probe:
        while time.monotonic() < deadline:
            try:
                if probe.get("/healthz").status_code == 200:
                    return floor
            except httpx.HTTPError:
                time.sleep(0.2)
    floor.stop()
    raise SetupError("the floor app did not start")


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Figures:
    rps: float
    p50: float
    p99: float
    requests: int
    non_2xx: int
    errors: str
    server_ms: float  # CPU per request
    postgres_ms: float
    wrk_ms: float
    busy: float  # share of the machine's cores


def _latency(text: str, percent: str) -> float:
    found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    return float(found.group(1)) * UNITS[found.group(2)] if found else float("nan")


def run_wrk(
    args: argparse.Namespace, base_url: str, script: Path, seconds: float, pids: list[int]
) -> Figures:
    """One wrk run; the server's CPU is that of `pids` and their children."""
    command = [
        "wrk", f"--threads={args.threads}", f"--connections={args.connections}",
        f"--duration={seconds:g}s", "--latency", "--timeout=10s", f"--script={script}", base_url,
    ]  # fmt: skip
    procs_before, ticks_before = _cpu_by_pid(args.db_name), _machine_ticks()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs_after, ticks_after = _cpu_by_pid(args.db_name), _machine_ticks()
    if done.returncode != 0:
        raise SetupError(f"wrk failed:\n{done.stdout}{done.stderr}")
    text = done.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    requests = int(total.group(1)) if total else 0
    server = postgres = 0.0
    for pid in pids:
        used, pg = _cpu_used(procs_before, procs_after, pid)
        server += sum(used.values())
        postgres = pg
    wrk_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    per = 1000 / requests if requests else float("nan")
    busy = float("nan")
    if ticks_before and ticks_after and ticks_after[1] > ticks_before[1]:
        busy = (ticks_after[0] - ticks_before[0]) / (ticks_after[1] - ticks_before[1])
    return Figures(
        rps=float(rps.group(1)) if rps else 0.0,
        p50=_latency(text, "50"),
        p99=_latency(text, "99"),
        requests=requests,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=socket_errors.group(1).strip() if socket_errors else "",
        server_ms=server * per,
        postgres_ms=postgres * per,
        wrk_ms=wrk_cpu * per,
        busy=busy,
    )


def write_script(work: Path, read: str, tokens: list[str], wallets: list[str]) -> Path:
    if read == "balance":
        paths = [f"{API_PREFIX}/wallets/{w}/balance" for w in wallets]
    elif read == "wallets":
        paths = [f"{API_PREFIX}/wallets"] * len(tokens)
    elif read == "profile":
        paths = [f"{API_PREFIX}/profile"] * len(tokens)
    else:
        paths = ["/healthz"] * len(tokens)
    script = work / f"{read}.lua"
    script.write_text(
        LUA
        % {
            "tokens": ", ".join(json.dumps(t) for t in tokens),
            "paths": ", ".join(json.dumps(p) for p in paths),
        }
    )
    return script


def _comparable(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _comparable(v) for k, v in body.items() if k != "timestamp"}
    return body


def same_answers(portico: str, floor: str, access_code: str, token: str, wallet: str) -> list[str]:
    """Each read once from both servers; the differences found (none expected)."""
    headers = {"X-PORTAL-ACCESS-CODE": access_code, "Authorization": f"Bearer {token}"}
    problems = []
    for path in (
        f"{API_PREFIX}/wallets/{wallet}/balance",
        f"{API_PREFIX}/wallets",
        f"{API_PREFIX}/profile",
        "/healthz",
    ):
        answers = []
        for base in (portico, floor):
            response = httpx.get(base + path, headers=headers, timeout=10, trust_env=False)
            answers.append((response.status_code, _comparable(response.json())))
        if answers[0] != answers[1] or answers[0][0] != 200:
            problems.append(f"{path}: portico {answers[0]!r} floor {answers[1]!r}")
    return problems


def _line(name: str, f: Figures) -> str:
    return (
        f"  {name:8} {f.rps:8.0f} req/s  p50 {f.p50:6.2f} ms  p99 {f.p99:6.2f} ms  "
        f"CPU/request: server {f.server_ms:5.2f} ms, postgres {f.postgres_ms:5.2f} ms, "
        f"wrk {f.wrk_ms:5.2f} ms  machine busy {f.busy:.0%}"
        + (f"  non-2xx {f.non_2xx}" if f.non_2xx else "")
        + (f"  socket errors: {f.errors}" if f.errors else "")
    )


def _profile(
    args: argparse.Namespace, name: str, read: str, pids: list[int]
) -> subprocess.Popen[bytes] | None:
    """With `--profile DIR`: py-spy samples one of Portico's API processes during the run
    (folded stacks, for flame graphs or `sort | uniq`)."""
    if not args.profile or name != "portico":
        return None
    children = [
        pid for pid, (parent, _, _) in _cpu_by_pid(args.db_name).items() if parent == pids[0]
    ]
    target = str(max(children, default=pids[0]))
    out = Path(args.profile) / f"{read}.folded"
    command = shutil.which("py-spy") or "py-spy"
    return subprocess.Popen(  # noqa: S603 - py-spy, fixed arguments
        [command, "record", "--pid", target, "--duration", f"{int(args.duration)}",
         "--format", "raw", "--rate", "250", "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


# --- the run -----------------------------------------------------------------------------------


async def _sign_in(base_url: str, var_dir: Path, seeded: Seeded, logins: int) -> list[str]:
    async with _client(base_url, seeded.access_code, 4) as client:
        payers = await sign_in_all(client, Mailbox(var_dir / "mail"), seeded, logins, 4)
    return [p.headers["Authorization"].removeprefix("Bearer ") for p in payers]


def run(args: argparse.Namespace) -> int:
    pg_url = args.pg_url.rstrip("/")
    _loopback_only(pg_url, "--pg-url")
    tag = secrets.token_hex(4)
    db_name = args.db_name = f"portico_bench_{tag}"
    run_dir = Path(args.work_dir) / f"reads-{tag}"
    var_dir = run_dir / "var"
    var_dir.mkdir(parents=True)
    scheme, rest = pg_url.split("://", 1)
    database_url = f"{scheme.split('+')[0]}+asyncpg://{rest}/{db_name}"
    secret = secrets.token_urlsafe(48)
    env = {
        **os.environ,
        "PORTICO_DATABASE_URL": database_url,
        "PORTICO_VAR_DIR": str(var_dir),
        "PORTICO_MAIL_BACKEND": "file",
        "PORTICO_MAIL_OUTBOX_DIR": str(var_dir / "mail"),
        "PORTICO_SECRET_KEY": secret,
        "PORTICO_DATABASE_POOL_SIZE": str(args.pool_size),
        **({"PORTICO_DATABASE_POOLING": args.pooling} if args.pooling else {}),
    }
    print(f"before: {_load()}")
    print(f"database {db_name} on {pg_url}; files in {run_dir}")
    server = floor = None
    status = 0
    try:
        migrated_database(pg_url, db_name, env)
        seeded = asyncio.run(seed(database_url, args.logins, Decimal(1000)))
        server = start_server(env, args.workers, args.port or _free_port(), run_dir / "server.log")
        floor = start_floor(
            args.workers,
            _free_port(),
            {
                "READS_FLOOR_DSN": f"{pg_url}/{db_name}",
                "READS_FLOOR_SECRET": secret,
                "READS_FLOOR_ISSUER": "portico",
                "READS_FLOOR_POOL_SIZE": str(args.pool_size),
            },
        )
        tokens = asyncio.run(_sign_in(server.base_url, var_dir, seeded, args.logins))
        problems = same_answers(
            server.base_url, floor.base_url, seeded.access_code, tokens[0], seeded.wallets[0]
        )
        if problems:
            raise SetupError("the floor does not answer as Portico does:\n" + "\n".join(problems))
        print(
            f"portico {server.base_url} and floor {floor.base_url}, {args.workers} process(es) "
            f"each; wrk {args.threads} threads, {args.connections} connections, {args.logins} "
            f"signed-in accounts; {args.warmup:g} s warm-up + {args.duration:g} s per read"
        )
        with tempfile.TemporaryDirectory(prefix="reads-") as work:
            # wrk sends the portal access code as a fixed header of every request.
            for read in args.reads:
                script = write_script(Path(work), read, tokens, seeded.wallets)
                script.write_text(
                    f'wrk.headers["X-PORTAL-ACCESS-CODE"] = "{seeded.access_code}"\n'
                    + script.read_text()
                )
                figures = {}
                for name, base, pids in (
                    ("portico", server.base_url, [server.process.pid]),
                    ("floor", floor.base_url, floor.pids()),
                ):
                    run_wrk(args, base, script, args.warmup, pids)
                    profiler = _profile(args, name, read, pids)
                    figures[name] = run_wrk(args, base, script, args.duration, pids)
                    if profiler is not None:
                        profiler.wait(30)
                ratio = figures["portico"].rps / figures["floor"].rps
                print(f"{read}: Portico {ratio:.2f}x the floor", flush=True)
                for name, f in figures.items():
                    print(_line(name, f), flush=True)
                if any(f.non_2xx for f in figures.values()):
                    status = 1
    except SetupError as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        status = 2
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        status = 130
    finally:
        if floor is not None:
            floor.stop()
        if server is not None:
            server.stop()
        drop_database_quietly(pg_url, db_name)
        print(f"after: {_load()}")
    return status


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Signed-in reads: portico serve against the asyncpg floor, with wrk.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--work-dir", default=str(Path(tempfile.gettempdir()) / "bench"), help="var dirs, logs"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes of each server")
    parser.add_argument("--port", type=int, default=0, help="Portico's port (0: a free one)")
    parser.add_argument("--logins", type=int, default=16, help="signed-in accounts")
    parser.add_argument(
        "--pool-size", type=int, default=8, help="database connections per process, each server"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--duration", type=float, default=10.0, help="measured s per read")
    parser.add_argument("--warmup", type=float, default=2.0, help="uncounted s before each")
    parser.add_argument("--reads", nargs="+", choices=READS, default=list(READS))
    parser.add_argument("--profile", default="", help="py-spy Portico's reads into this dir")
    parser.add_argument(
        "--pooling", default="", help="PORTICO_DATABASE_POOLING for the server (pgbouncer)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupted)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
