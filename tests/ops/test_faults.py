"""Faults survived, measured: a PostgreSQL cluster of the test's own (initdb/pg_ctl, its own
port and data directory), two `portico serve` processes under a stream of transfers with
idempotency keys, then (a) PostgreSQL restarted mid-stream and (b) one API process killed
with SIGKILL mid-stream.

Every answer is a success or a clean `503` / connection error; the client retries those with
the same key (on either process); afterwards every key maps to exactly one order, the balances
are exact, `portico ledger verify` passes, and the API answered within seconds of the database
coming back. The figures are printed (`-s`) and recorded as the test's `faults` property.

It runs in the PostgreSQL suite (`PORTICO_TEST_DATABASE_URL` set; CI runs both suites side by
side and once is enough), and is skipped there only when PostgreSQL's server binaries are not
installed. As root (CI), the cluster runs as the `postgres` user through `runuser`."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from portico.config import Settings
from portico.enums import AccountPortal
from portico.idempotency.models import IdempotencyRecord
from portico.migrate import upgrade_database
from portico.transfers.models import TransferOrder
from portico.wallets.models import Wallet
from tests.factories.accounts import (
    DEFAULT_PASSWORD,
    TEST_ARGON2_MEMORY_KIB,
    TEST_ARGON2_TIME_COST,
    create_account,
)
from tests.factories.institutions import create_institution
from tests.factories.money import fund_wallet
from tests.factories.workspaces import owned_workspace
from tests.support.db import PG_URL
from tests.support.servers import free_port

TRANSFERS = 300
CONCURRENCY = 6
DOWN_SECONDS = 3.0
RECOVERY_LIMIT_SECONDS = 10.0
SECRET = "fault-test-secret-0123456789abcdef0123456789"
BINARIES = ("initdb", "pg_ctl", "postgres")

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="in the PostgreSQL suite (it starts a PostgreSQL cluster of its own)"
)


def server_binaries() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres (newest installed version first)."""
    candidates = [Path(p).parent for p in filter(None, [shutil.which("initdb")])]
    candidates.append(Path("/usr/local/bin"))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [
        Path(p)
        for p in sorted(versions, key=lambda p: int(re.sub(r"\D", "", p) or 0), reverse=True)
    ]
    for directory in candidates:
        if all((directory / name).is_file() for name in BINARIES):
            return directory
    return None


class Cluster:
    """A throwaway PostgreSQL cluster: its own data directory, port and socket directory."""

    def __init__(self, binaries: Path, root: Path) -> None:
        self.binaries = binaries
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            user = pwd.getpwnam("postgres")
            os.chown(root, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def _run(self, *argv: str) -> None:
        subprocess.run([*self.prefix, *argv], check=True, capture_output=True, timeout=120)  # noqa: S603

    def init(self) -> None:
        initdb = str(self.binaries / "initdb")
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        pg_ctl = str(self.binaries / "pg_ctl")
        log = str(self.root / "server.log")
        self._run(pg_ctl, "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl, postgres) are not installed")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and there is no postgres user to run the cluster as")
    root = Path(tempfile.mkdtemp(prefix="portico-faults-"))  # /tmp: reachable by postgres
    made = Cluster(binaries, root)
    made.init()
    made.start()
    try:
        yield made
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            made.stop()
        shutil.rmtree(root, ignore_errors=True)


async def seed(url: str) -> dict[str, Any]:
    engine = create_async_engine(url, poolclass=NullPool)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        codes = await create_institution(session)
        users = {}
        for name in ("alice", "bob"):
            account = await create_account(
                session, institution_id=codes.institution_id, email=f"{name}@faults.test", name=name
            )
            users[name] = (account, await owned_workspace(session, owner=account))
        wallet = await fund_wallet(session, workspace=users["alice"][1], amount="1000")
        await session.commit()
    await engine.dispose()
    return {"code": codes.consumer, "wallet": wallet.biz_id, "alice": users["alice"][0].id}


@dataclass
class Figures:
    requests: int = 0
    successes: int = 0
    replayed: int = 0
    unavailable: int = 0  # clean 503s
    connection_errors: int = 0
    retried: int = 0
    recovered_seconds: float | None = None
    killed_at_request: int | None = None
    restarted_at_request: int | None = None
    orders: dict[str, str] = field(default_factory=dict)  # key -> order bizId


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "portico.cli", "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)


def login(url: str, code: str, outbox: Path) -> str:
    api = f"{url}/web/v1/consumer/auth/login"
    headers = {"X-PORTAL-ACCESS-CODE": code}
    body = {"email": "alice@faults.test", "password": DEFAULT_PASSWORD}
    started = httpx.post(f"{api}/initiate", json=body, headers=headers, timeout=10).json()
    deadline = time.monotonic() + 10
    while not (mails := sorted(outbox.glob("*.eml"))):
        assert time.monotonic() < deadline, "no sign-in code mailed"
        time.sleep(0.05)
    mailed = re.search(r"code is (\d{6})", mails[-1].read_text())
    assert mailed
    verify = {"sessionId": started["data"]["sessionId"], "mfaMethod": "EMAIL", "code": mailed[1]}
    done = httpx.post(f"{api}/verify", json=verify, headers=headers, timeout=10).json()
    return str(done["data"]["accessToken"])


async def stream(
    urls: list[str], headers: dict[str, str], body: dict[str, Any], figures: Figures
) -> None:
    """TRANSFERS transfers, each with its own key, retried (same key) until it succeeds."""
    keys = asyncio.Queue[str]()
    for n in range(TRANSFERS):
        keys.put_nowait(f"fault-{n:04d}")
    turn = 0
    limits = httpx.Limits(max_keepalive_connections=0)  # a fresh connection each request

    async def one(client: httpx.AsyncClient, key: str) -> None:
        nonlocal turn
        attempts = 0
        while True:
            url = urls[turn % len(urls)]
            turn += 1
            attempts += 1
            figures.requests += 1
            if attempts > 1:
                figures.retried += 1
            try:
                answer = await client.post(
                    f"{url}/web/v1/consumer/transfer/command/create",
                    json=body,
                    headers={**headers, "Idempotency-Key": key},
                )
            except httpx.TransportError:
                figures.connection_errors += 1
                await asyncio.sleep(0.1)
                continue
            if answer.status_code == 503:
                assert answer.json()["code"] == "SYSTEM.UNAVAILABLE"
                figures.unavailable += 1
                await asyncio.sleep(0.1)
                continue
            assert answer.status_code == 201, answer.text  # nothing else, ever
            order = answer.json()["data"]["bizId"]
            assert figures.orders.setdefault(key, order) == order, "a key made two orders"
            figures.successes += 1
            if answer.headers.get("idempotent-replayed") == "true":
                figures.replayed += 1
            return

    async def worker() -> None:
        async with httpx.AsyncClient(timeout=15, limits=limits) as client:
            while not keys.empty():
                await one(client, keys.get_nowait())

    await asyncio.gather(*[worker() for _ in range(CONCURRENCY)])


async def test_restart_and_kill_lose_nothing(
    cluster: Cluster, tmp_path: Path, record_property: Any
) -> None:
    admin = create_async_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text('CREATE DATABASE "portico_faults"'))
    await admin.dispose()
    url = cluster.url("portico_faults")
    await asyncio.to_thread(upgrade_database, Settings(database_url=url))
    seeded = await seed(url)

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")},
        "PORTICO_DATABASE_URL": url,
        "PORTICO_SECRET_KEY": SECRET,
        "PORTICO_VAR_DIR": str(tmp_path / "var"),
        "PORTICO_LOG_LEVEL": "CRITICAL",
        "PORTICO_ARGON2_MEMORY_KIB": str(TEST_ARGON2_MEMORY_KIB),
        "PORTICO_ARGON2_TIME_COST": str(TEST_ARGON2_TIME_COST),
        "PORTICO_DATABASE_POOL_SIZE": "8",
        "PORTICO_JOBS_IN_PROCESS": "false",
        "PORTICO_JOBS_MAINTENANCE_CRON": "",
        "PORTICO_IDEMPOTENCY_PURGE_CRON": "",
    }
    servers = [start_server(env) for _ in range(2)]
    try:
        for process, server_url in servers:
            wait_ready(server_url, process)
        urls = [server_url for _, server_url in servers]
        token = login(urls[0], seeded["code"], tmp_path / "var" / "mail")
        headers = {"X-PORTAL-ACCESS-CODE": seeded["code"], "Authorization": f"Bearer {token}"}
        body = {
            "fromWalletBizId": seeded["wallet"],
            "toAccountEmail": "bob@faults.test",
            "amount": "0.01",
        }
        figures = Figures()

        async def faults() -> None:
            while figures.successes < TRANSFERS // 4:
                await asyncio.sleep(0.01)
            figures.restarted_at_request = figures.requests
            await asyncio.to_thread(cluster.stop)
            await asyncio.sleep(DOWN_SECONDS)
            await asyncio.to_thread(cluster.start)
            back = time.monotonic()
            before = figures.successes
            while figures.successes == before:
                await asyncio.sleep(0.01)
            figures.recovered_seconds = round(time.monotonic() - back, 2)
            while figures.successes < TRANSFERS * 2 // 3:
                await asyncio.sleep(0.01)
            figures.killed_at_request = figures.requests
            servers[1][0].send_signal(signal.SIGKILL)

        started = time.monotonic()
        await asyncio.gather(stream(urls, headers, body, figures), faults())
        elapsed = time.monotonic() - started
    finally:
        for process, _ in servers:
            if process.poll() is None:
                process.terminate()
        for process, _ in servers:
            process.wait(timeout=30)

    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        orders = (await connection.execute(select(TransferOrder.biz_id))).scalars().all()
        keys = (
            await connection.execute(
                select(IdempotencyRecord.idempotency_key, IdempotencyRecord.response_body)
            )
        ).all()
        balances = (await connection.execute(select(Wallet.available))).scalars().all()
    await engine.dispose()

    lost = TRANSFERS - len(figures.orders)
    assert lost == 0
    assert sorted(orders) == sorted(figures.orders.values()), "an order no key names, or a double"
    assert len(keys) == TRANSFERS
    for key, response in keys:
        assert json.loads(response)["data"]["bizId"] == figures.orders[key]
    assert sorted(balances) == sorted([100_000 - TRANSFERS, TRANSFERS])
    assert figures.unavailable + figures.connection_errors > 0, "no fault was seen"
    assert figures.recovered_seconds is not None
    assert figures.recovered_seconds < RECOVERY_LIMIT_SECONDS

    verify = subprocess.run(
        [sys.executable, "-m", "portico.cli", "ledger", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr

    report = {
        "transfers": TRANSFERS,
        "requests": figures.requests,
        "failures_seen": figures.unavailable + figures.connection_errors,
        "clean_503": figures.unavailable,
        "connection_errors": figures.connection_errors,
        "retried": figures.retried,
        "replayed": figures.replayed,
        "recovered_seconds": figures.recovered_seconds,
        "lost": lost,
        "seconds": round(elapsed, 1),
        "portal": AccountPortal.CONSUMER.value,
    }
    record_property("faults", report)
    print("\nfault figures:", json.dumps(report))
