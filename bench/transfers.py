"""Transfer throughput benchmark: `transfer/command/create` on a fresh PostgreSQL database.

It answers: how many transfers per second the server books, at what latency, (a) spread over
many accounts and (b) all on one hot pair of wallets, where every transfer waits for the
`SELECT … FOR UPDATE` of the same two rows.

Self-contained: from the repository root, with a PostgreSQL server on loopback (trust auth),

    .venv/bin/python bench/transfers.py

Setup (not measured):

1. creates a database `portico_bench_<random>` on `--pg-url` and migrates it with
   `portico db upgrade`;
2. seeds, in one transaction through the project's services, one institution and `--accounts`
   consumer accounts (`create_account`, which provisions each account's workspace, with one
   precomputed argon2 hash), and credits each account's USD wallet `--funding` from the
   settlement account (one ledger posting per wallet, like `tests/factories/money.fund_wallet`);
3. starts `portico serve --workers W` on a free loopback port, with its own
   `PORTICO_VAR_DIR` under `--work-dir` (the file mail outbox and the server log live there);
4. signs `--logins` of the accounts in over HTTP (login/initiate, the code from the `.eml`
   outbox, login/verify). Logins cost an argon2 hash each, so only these accounts pay; the
   others (when `--accounts` is larger) are payees only.

Measurement: `--concurrency` clients each send `POST /web/v1/consumer/transfer/command/create`
back to back (a closed loop), each on a keep-alive connection of its own
(`bench/rawhttp.py`, a lean asyncio HTTP/1.1 client: httpx cost ~2.5 ms of client CPU a
request on the same cores as the server), each with a fresh `Idempotency-Key`
(unless `--no-idempotency-key`), in two scenarios:

- "many accounts": a random signed-in payer pays a random other account, by `toWalletBizId`;
- "hot pair": every client pays from A to B and from B to A alternately (half of the clients
  start with each direction).

Requests that complete during `--warmup` are not counted; every loop stops at `--duration` or
after `--max-requests`, whichever comes first. Only `201` counts as a transfer; anything else is
an error, counted by status and envelope code (or by transport exception).

Output per scenario: requests, errors by status/code, transfers/s, p50/p99/max latency, and the
CPU used by this client, by the server's processes and by the database's PostgreSQL backends
(read from /proc; they all share the machine), per second and per transfer. At the end the
server is stopped, the transfer orders in the database are compared with the 201 answers seen,
and `portico ledger verify` checks the books. The server is killed and the database dropped
whatever happens (`--keep-database` keeps it for inspection).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import email.policy
import json
import os
import random
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import IO
from urllib.parse import urlsplit

import asyncpg
import httpx
import rawhttp
from sqlalchemy import select

from portico.config import Settings
from portico.db import Database, create_engine
from portico.enums import AccountPortal, FlowBizType
from portico.flows import accounts as account_flows
from portico.institutions import service as institution_service
from portico.ledger import service as ledger
from portico.ledger.service import SETTLEMENT, Leg
from portico.money import enabled_currency
from portico.security.passwords import PasswordHasher
from portico.tenancy import across_workspaces
from portico.wallets import service as wallet_service
from portico.workspaces.models import Workspace, WorkspaceMember

ROOT = Path(__file__).resolve().parents[1]
API_PREFIX = "/web/v1/consumer"
TRANSFER_PATH = f"{API_PREFIX}/transfer/command/create"
CURRENCY = "USD"
PASSWORD = "BenchPass123!"
CODE_PATTERN = re.compile(r"code is (\d{6})")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAIL_WAIT_SECONDS = 30.0
SERVER_START_SECONDS = 60.0
SERVER_STOP_SECONDS = 15.0
COMMAND_TIMEOUT_SECONDS = 300.0
REQUEST_TIMEOUT_SECONDS = 30.0
DRAIN_SECONDS = REQUEST_TIMEOUT_SECONDS + 5.0


class SetupError(RuntimeError):
    """The benchmark could not prepare its database, server or accounts."""


# --- figures ---------------------------------------------------------------------------------


@dataclass
class Stream:
    """What one scenario measured."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    created_total: int = 0  # every 201 seen, warm-up and drain included

    def record(self, started: float, finished: float, error: str | None) -> None:
        if error is None:
            self.latencies_ms.append((finished - started) * 1000)
        else:
            self.errors[error] += 1

    def report(self, seconds: float) -> list[str]:
        done = len(self.latencies_ms)
        errors = sum(self.errors.values())
        rate = done / seconds if seconds > 0 else 0.0
        lines = [
            f"  requests {done + errors}  ok {done}  errors {errors}"
            + (
                "  [" + ", ".join(f"{k}: {v}" for k, v in self.errors.most_common()) + "]"
                if errors
                else ""
            ),
            f"  transfers/s {rate:7.1f}  p50 {_pct(self.latencies_ms, 50):6.1f} ms  "
            f"p99 {_pct(self.latencies_ms, 99):6.1f} ms  "
            f"max {max(self.latencies_ms, default=float('nan')):6.1f} ms",
        ]
        return lines


def _pct(values: list[float], percentile: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percentile // 100))  # ceil without float error
    return ordered[int(rank) - 1]


def _machine_ticks() -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the whole machine, from /proc/stat (Linux); None elsewhere."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _cpu_by_pid(db_name: str) -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, "server"/"postgres"/"", CPU seconds used so far), from /proc (Linux;
    else empty). "postgres": a PostgreSQL backend serving `db_name` (its process title names the
    database); the server's processes are told apart later, by their parent."""
    table: dict[int, tuple[int, str, float]] = {}
    try:
        entries = [e for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return table
    tick = os.sysconf("SC_CLK_TCK")
    for entry in entries:
        try:
            text = Path(entry.path, "stat").read_text()
            close = text.rindex(")")
            kind = ""
            if text[text.index("(") + 1 : close] == "postgres":
                title = Path(entry.path, "cmdline").read_bytes()
                kind = "postgres" if f" {db_name} ".encode() in title else ""
        except (OSError, ValueError):
            continue  # exited meanwhile
        rest = text[close + 2 :].split()  # state, ppid, …; utime and stime are 12th and 13th
        table[int(entry.name)] = (int(rest[1]), kind, (int(rest[11]) + int(rest[12])) / tick)
    return table


def _cpu_used(
    before: dict[int, tuple[int, str, float]], after: dict[int, tuple[int, str, float]], root: int
) -> tuple[dict[int, float], float]:
    """CPU seconds used between two samples by the server (the process tree under `root`) and
    by the benchmark database's PostgreSQL backends (a process that ended meanwhile is missed).
    The server's figure is split by process: {pid: seconds}."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in after.items():
        children.setdefault(parent, []).append(pid)
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in after and pid not in tree:
            tree.add(pid)
            todo.extend(children.get(pid, []))
    server: dict[int, float] = {}
    postgres = 0.0
    for pid, (_, kind, cpu) in after.items():
        used = cpu - before[pid][2] if pid in before else cpu  # or started meanwhile
        if pid in tree:
            server[pid] = used
        elif kind == "postgres":
            postgres += used
    return server, postgres


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


# --- the database ----------------------------------------------------------------------------


def _loopback_only(url: str, what: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise SetupError(f"{what} must be on a loopback address, not {host!r}")


async def _admin(pg_url: str, statement: str) -> None:
    connection = await asyncpg.connect(f"{pg_url.rstrip('/')}/postgres", timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _create_database(pg_url: str, name: str) -> None:
    asyncio.run(_admin(pg_url, f'CREATE DATABASE "{name}"'))


def _drop_database(pg_url: str, name: str) -> None:
    asyncio.run(_admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def migrated_database(pg_url: str, name: str, env: dict[str, str]) -> None:
    """Create the benchmark database and migrate it with `portico db upgrade`."""
    _create_database(pg_url, name)
    migrated = _command(env, "db", "upgrade")
    if migrated.returncode != 0:
        raise SetupError(f"portico db upgrade failed:\n{migrated.stdout}{migrated.stderr}")


def drop_database_quietly(pg_url: str, name: str) -> None:
    """Drop the benchmark database; a failure is a warning (the figures are already out)."""
    try:
        _drop_database(pg_url, name)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"warning: could not drop {name}: {exc!r}", file=sys.stderr)


async def _count_orders(pg_url: str, name: str) -> int:
    connection = await asyncpg.connect(f"{pg_url.rstrip('/')}/{name}", timeout=10)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM transfer_orders"))
    finally:
        await connection.close()


@dataclass(frozen=True)
class Seeded:
    access_code: str
    emails: list[str]
    wallets: list[str]  # each account's USD wallet bizId, in the order of `emails`


async def seed(database_url: str, count: int, funding: Decimal) -> Seeded:
    """One institution, `count` funded consumer accounts; one transaction."""
    password_hash = await PasswordHasher(Settings()).hash(PASSWORD)
    database = Database(create_engine(database_url, null_pool=True))
    try:
        async with database.sessionmaker() as session, session.begin():
            institution, codes = await institution_service.create_institution(
                session, name=f"Bench {secrets.token_hex(3)}"
            )
            emails = [f"bench-{i}@bench.portico" for i in range(count)]
            accounts = [
                await account_flows.create_account(
                    session,
                    institution_id=institution.id,
                    portal=AccountPortal.CONSUMER,
                    email=address,
                    password_hash=password_hash,
                    account_name=address.split("@")[0],
                    pending_approval=False,
                )
                for address in emails
            ]
            rows = await session.execute(
                across_workspaces(
                    select(WorkspaceMember.account_id, Workspace)
                    .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
                    .where(
                        WorkspaceMember.account_id.in_([a.id for a in accounts]),
                        WorkspaceMember.is_owner.is_(True),
                    ),
                    "the bench accounts' own workspaces",
                )
            )
            workspace_of = dict(rows.all())
            scale = (await enabled_currency(session, CURRENCY)).scale
            minor = int(funding.scaleb(scale))
            wallets = [
                await wallet_service.wallet_for(
                    session, workspace=workspace_of[a.id], currency=CURRENCY
                )
                for a in accounts
            ]
            locked = await ledger.lock_wallets(session, [w.id for w in wallets])
            for wallet in wallets:
                await ledger.post(
                    session,
                    institution_id=institution.id,
                    posting_type="TEST_FUNDING",
                    order_biz_id=None,
                    legs=[
                        Leg(CURRENCY, -minor, FlowBizType.RECHARGE, account=SETTLEMENT),
                        Leg(CURRENCY, minor, FlowBizType.RECHARGE, locked[wallet.id]),
                    ],
                )
            return Seeded(
                access_code=codes[AccountPortal.CONSUMER],
                emails=emails,
                wallets=[w.biz_id for w in wallets],
            )
    finally:
        await database.dispose()


# --- the server ------------------------------------------------------------------------------


def _portico() -> str:
    script = Path(sys.executable).with_name("portico")
    if not script.exists():
        raise SetupError(f"no `portico` command beside {sys.executable}")
    return str(script)


def _command(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [_portico(), *arguments],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    log_path: Path
    base_url: str
    stopped: bool = False

    def tail(self, lines: int = 20) -> str:
        self.log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        """SIGTERM to the server's process group (uvicorn and its workers), then SIGKILL."""
        if self.stopped:
            return
        self.stopped = True
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGTERM, SERVER_STOP_SECONDS), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:
            # The master is gone; make sure no orphaned worker of its group survives.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def start_server(env: dict[str, str], workers: int, port: int, log_path: Path) -> Server:
    log = log_path.open("ab")
    process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [
            _portico(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stop() reaches the workers too
    )
    server = Server(process, log, log_path, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        with httpx.Client(base_url=server.base_url, timeout=2.0, trust_env=False) as probe:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise SetupError(f"server exited with {process.returncode}:\n{server.tail()}")
                try:
                    if probe.get("/healthz").status_code == 200:
                        return server
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise SetupError(f"server not ready in {SERVER_START_SECONDS:.0f} s:\n{server.tail()}")
    except BaseException:
        server.stop()
        raise


# --- signing in ------------------------------------------------------------------------------


class Mailbox:
    """The server's file outbox: the sign-in code mailed to each address (parsed once)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._seen: set[str] = set()
        self._codes: dict[str, str] = {}

    def _scan(self) -> None:
        try:
            names = sorted(e.name for e in os.scandir(self.directory) if e.name.endswith(".eml"))
        except FileNotFoundError:
            return
        for name in names:
            if name in self._seen:
                continue
            self._seen.add(name)
            message = email.message_from_bytes(
                (self.directory / name).read_bytes(), policy=email.policy.default
            )
            body = message.get_body(preferencelist=("plain",))
            match = CODE_PATTERN.search(body.get_content() if body else "")
            if match:
                self._codes[str(message["To"]).strip().lower()] = match.group(1)

    async def code_for(self, address: str) -> str:
        """The code last mailed to `address` (each account signs in once per run)."""
        deadline = time.monotonic() + MAIL_WAIT_SECONDS
        while time.monotonic() < deadline:
            self._scan()
            code = self._codes.pop(address.lower(), None)
            if code is not None:
                return code
            await asyncio.sleep(0.05)
        raise SetupError(f"no code mailed to {address} in {self.directory}")


def _data(response: httpx.Response, what: str) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("success"):
        raise SetupError(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    data = body.get("data")
    return data if isinstance(data, dict) else {}


async def _sign_in(client: httpx.AsyncClient, mailbox: Mailbox, address: str) -> str:
    """A full two-step login; returns the access token."""
    started = await client.post(
        f"{API_PREFIX}/auth/login/initiate", json={"email": address, "password": PASSWORD}
    )
    session_id = _data(started, f"login/initiate {address}")["sessionId"]
    code = await mailbox.code_for(address)
    verified = await client.post(
        f"{API_PREFIX}/auth/login/verify",
        json={"sessionId": session_id, "mfaMethod": "EMAIL", "code": code},
    )
    return str(_data(verified, f"login/verify {address}")["accessToken"])


@dataclass(frozen=True)
class Payer:
    wallet: str
    headers: dict[str, str]  # Authorization


async def sign_in_all(
    client: httpx.AsyncClient, mailbox: Mailbox, seeded: Seeded, count: int, parallel: int
) -> list[Payer]:
    gate = asyncio.Semaphore(parallel)

    async def one(index: int) -> Payer:
        async with gate:
            token = await _sign_in(client, mailbox, seeded.emails[index])
        return Payer(seeded.wallets[index], {"Authorization": f"Bearer {token}"})

    return list(await asyncio.gather(*(one(i) for i in range(count))))


# --- the load --------------------------------------------------------------------------------


@dataclass
class Window:
    """The measured interval: completions inside [start, end) count."""

    start: float
    end: float
    budget: int  # max requests per scenario

    def counts(self, finished: float) -> bool:
        return self.start <= finished < self.end


Pick = Callable[[], tuple[Payer, str]]


def _error_key(status: int, content: bytes) -> str:
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    code = body.get("code") if isinstance(body, dict) else None
    return f"HTTP {status} {code}" if code else f"HTTP {status}"


async def _transfer_worker(
    connection: rawhttp.Connection,
    stream: Stream,
    window: Window,
    pick: Pick,
    amount: str,
    idempotency_key: bool,
) -> None:
    try:
        while time.perf_counter() < window.end and stream.sent < window.budget:
            stream.sent += 1
            payer, payee_wallet = pick()
            headers = dict(payer.headers)
            if idempotency_key:
                headers["Idempotency-Key"] = uuid.uuid4().hex
            body = {
                "fromWalletBizId": payer.wallet,
                "toWalletBizId": payee_wallet,
                "amount": amount,
            }
            started = time.perf_counter()
            error: str | None
            try:
                status, content = await connection.post_json(TRANSFER_PATH, body, headers)
                if status == 201:
                    error = None
                    stream.created_total += 1
                else:
                    error = _error_key(status, content)
            except rawhttp.ERRORS as exc:
                error = type(exc).__name__
            finished = time.perf_counter()
            if window.counts(finished):
                stream.record(started, finished, error)
    finally:
        connection.close()


def _many_picker(payers: list[Payer], payees: list[str], seed: int) -> Pick:
    rng = random.Random(seed)

    def pick() -> tuple[Payer, str]:
        payer = rng.choice(payers)
        payee = rng.choice(payees)
        while payee == payer.wallet:
            payee = rng.choice(payees)
        return payer, payee

    return pick


def _hot_picker(a: Payer, b: Payer, first: int) -> Pick:
    turn = first

    def pick() -> tuple[Payer, str]:
        nonlocal turn
        turn ^= 1
        return (a, b.wallet) if turn else (b, a.wallet)

    return pick


async def run_scenario(
    args: argparse.Namespace,
    access_code: str,
    server: Server,
    name: str,
    picks: list[Pick],
) -> tuple[Stream, list[str]]:
    stream = Stream(name)
    now = time.perf_counter()
    window = Window(now + args.warmup, now + args.warmup + args.duration, args.max_requests)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    ticks_before = _machine_ticks()
    procs_before = _cpu_by_pid(args.db_name)
    address = urlsplit(server.base_url)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    access = {"X-PORTAL-ACCESS-CODE": access_code}
    tasks = [
        asyncio.create_task(
            _transfer_worker(
                rawhttp.Connection(host, port, access, REQUEST_TIMEOUT_SECONDS),
                stream,
                window,
                pick,
                args.amount,
                args.idempotency_key,
            )
        )
        for pick in picks
    ]
    # Workers stop issuing at the window's end; what is in flight may take up to the request
    # timeout. Anything still running after that is cancelled: the run always ends.
    _, pending = await asyncio.wait(tasks, timeout=args.warmup + args.duration + DRAIN_SECONDS)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    ticks_after = _machine_ticks()
    procs_after = _cpu_by_pid(args.db_name)

    measured = min(time.perf_counter(), window.end) - window.start
    lines = [
        f"{name} ({len(picks)} clients): {measured:.1f} s measured after {args.warmup:g} s warm-up",
        *stream.report(measured),
    ]
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
        cpu_after.ru_stime - cpu_before.ru_stime
    )
    total = args.warmup + args.duration
    cpu_line = f"  client CPU {client_cpu:.1f} s ({client_cpu / total:.0%} of one core)"
    if ticks_before and ticks_after and ticks_after[1] > ticks_before[1]:
        busy = (ticks_after[0] - ticks_before[0]) / (ticks_after[1] - ticks_before[1])
        cpu_line += f"  machine busy {busy:.0%} of {os.cpu_count()} cores"
    lines.append(cpu_line)
    if procs_before and procs_after:
        per_process, postgres_cpu = _cpu_used(procs_before, procs_after, server.process.pid)
        server_cpu = sum(per_process.values())
        busiest = sorted(per_process.values(), reverse=True)
        per = 1000 / stream.created_total if stream.created_total else float("nan")
        lines += [
            f"  server CPU {server_cpu:.1f} s = {server_cpu / total:.0%} of one core, "
            f"{server_cpu * per:.1f} ms per transfer (by process: "
            + " ".join(f"{v:.1f}" for v in busiest)
            + " s)",
            f"  postgres backends CPU {postgres_cpu:.1f} s = {postgres_cpu / total:.0%} of one "
            f"core, {postgres_cpu * per:.1f} ms per transfer",
        ]
    if pending:
        lines.append(f"  warning: {len(pending)} client(s) cancelled after the drain timeout")
    return stream, lines


def _client(base_url: str, access_code: str, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"X-PORTAL-ACCESS-CODE": access_code},
        timeout=REQUEST_TIMEOUT_SECONDS,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        trust_env=False,  # never through a proxy: loopback only
    )


async def drive(
    args: argparse.Namespace, server: Server, mailbox: Mailbox, seeded: Seeded
) -> list[Stream]:
    logins = min(args.logins, len(seeded.emails))
    async with _client(server.base_url, seeded.access_code, args.login_concurrency) as setup:
        started = time.perf_counter()
        payers = await sign_in_all(setup, mailbox, seeded, logins, args.login_concurrency)
        print(f"signed in {len(payers)} account(s) in {time.perf_counter() - started:.1f} s")

    streams = []
    if "many" in args.scenarios:
        picks = [
            _many_picker(payers, seeded.wallets, args.seed + i) for i in range(args.concurrency)
        ]
        name = f"many accounts ({len(payers)} payers, {len(seeded.wallets)} payees)"
        stream, lines = await run_scenario(args, seeded.access_code, server, name, picks)
        print("\n".join(lines), flush=True)
        streams.append(stream)
    if "hot" in args.scenarios:
        if len(payers) < 2:
            raise SetupError("the hot pair needs two signed-in accounts")
        a, b = payers[0], payers[1]
        picks = [_hot_picker(a, b, i % 2) for i in range(args.concurrency)]
        stream, lines = await run_scenario(
            args, seeded.access_code, server, "hot pair (A<->B)", picks
        )
        print("\n".join(lines), flush=True)
        streams.append(stream)
    return streams


# --- the run ---------------------------------------------------------------------------------


def _interrupted(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(args: argparse.Namespace) -> int:
    pg_url = args.pg_url.rstrip("/")
    _loopback_only(pg_url, "--pg-url")
    tag = secrets.token_hex(4)
    db_name = args.db_name = f"portico_bench_{tag}"
    run_dir = Path(args.work_dir) / f"transfers-{tag}"
    var_dir = run_dir / "var"
    var_dir.mkdir(parents=True)
    scheme, rest = pg_url.split("://", 1)
    database_url = f"{scheme.split('+')[0]}+asyncpg://{rest}/{db_name}"
    if args.pg_socket:  # the server reaches PostgreSQL through its Unix socket
        database_url += f"?host={args.pg_socket}"
    env = {
        **os.environ,
        "PORTICO_DATABASE_URL": database_url,
        "PORTICO_VAR_DIR": str(var_dir),
        "PORTICO_MAIL_BACKEND": "file",
        "PORTICO_MAIL_OUTBOX_DIR": str(var_dir / "mail"),
    }
    print(f"before: {_load()}")
    print(f"database {db_name} on {pg_url}; files in {run_dir}")

    server: Server | None = None
    status = 0
    try:
        migrated_database(pg_url, db_name, env)

        started = time.perf_counter()
        seeded = asyncio.run(seed(database_url, args.accounts, Decimal(args.funding)))
        print(
            f"seeded {args.accounts} account(s) with {args.funding} {CURRENCY} each "
            f"in {time.perf_counter() - started:.1f} s"
        )

        port = args.port or _free_port()
        server = start_server(env, args.workers, port, run_dir / "server.log")
        print(
            f"server {server.base_url} ({args.workers} worker(s)); log {server.log_path}; "
            f"{args.concurrency} clients, {args.warmup:g} s warm-up + {args.duration:g} s "
            f"per scenario, amount {args.amount}, "
            + ("an Idempotency-Key each" if args.idempotency_key else "no Idempotency-Key")
        )
        streams = asyncio.run(drive(args, server, Mailbox(var_dir / "mail"), seeded))
        server.stop()

        errors_logged = sum(
            1
            for line in server.log_path.read_text(errors="replace").splitlines()
            if " ERROR " in line
        )
        if errors_logged:
            print(f"server log: {errors_logged} ERROR line(s) in {server.log_path}")
        orders = asyncio.run(_count_orders(pg_url, db_name))
        answered = sum(s.created_total for s in streams)
        print(
            f"transfer orders in the database: {orders}; 201 answers seen: {answered}"
            + ("" if orders == answered else "  <-- MISMATCH")
        )
        verified = _command(env, "ledger", "verify")
        output = (verified.stdout + verified.stderr).strip()
        print(f"portico ledger verify (exit {verified.returncode}): {output}")
        if verified.returncode != 0:
            status = 1
    except SetupError as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        status = 2
    except (httpx.HTTPError, OSError, asyncpg.PostgresError) as exc:
        print(f"failed: {exc!r}", file=sys.stderr)
        status = 2
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        status = 130
    finally:
        if server is not None:
            server.stop()
        if args.keep_database:
            print(f"kept database {db_name}")
        else:
            drop_database_quietly(pg_url, db_name)
        print(f"after: {_load()}")
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark transfer/command/create on a fresh PostgreSQL database.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server (loopback, trust auth); a database is created and dropped",
    )
    parser.add_argument(
        "--pg-socket",
        default="",
        help="the server connects through the Unix socket in this directory (the same server "
        "as --pg-url, e.g. /var/run/postgresql); pass the same to bench/transfers_floor.py",
    )
    parser.add_argument(
        "--work-dir",
        default=str(Path(tempfile.gettempdir()) / "bench"),
        help="server var dirs and logs",
    )
    parser.add_argument("--workers", type=int, default=2, help="portico serve --workers")
    parser.add_argument("--port", type=int, default=0, help="server port (0: a free one)")
    parser.add_argument("--accounts", type=int, default=64, help="accounts seeded (payees)")
    parser.add_argument(
        "--logins",
        type=int,
        default=64,
        help="accounts signed in over HTTP (the payers; one argon2 hash each)",
    )
    parser.add_argument("--login-concurrency", type=int, default=4, help="logins in flight")
    parser.add_argument("--funding", default="1000000", help=f"{CURRENCY} credited per account")
    parser.add_argument("--amount", default="0.01", help=f"{CURRENCY} per transfer")
    parser.add_argument("--concurrency", type=int, default=32, help="transfer clients")
    parser.add_argument("--duration", type=float, default=15.0, help="measured s per scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not counted first")
    parser.add_argument(
        "--max-requests", type=int, default=1_000_000, help="upper bound per scenario"
    )
    parser.add_argument(
        "--scenarios",
        nargs="+",
        choices=("many", "hot"),
        default=["many", "hot"],
        help="many: random pairs among the accounts; hot: A<->B only",
    )
    parser.add_argument(
        "--no-idempotency-key",
        dest="idempotency_key",
        action="store_false",
        help="send transfers without an Idempotency-Key header",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the payer/payee picks")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    return parser


def main() -> int:
    args = _parser().parse_args()
    if min(args.workers, args.concurrency, args.login_concurrency) < 1 or args.accounts < 2:
        print("need at least 1 worker, client and login, and 2 accounts", file=sys.stderr)
        return 2
    if args.logins < (2 if "hot" in args.scenarios else 1):
        print("--logins too small for the scenarios", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        return run(args)
    except SetupError as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
