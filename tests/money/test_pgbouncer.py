"""Portico through PgBouncer in transaction-pooling mode (`PORTICO_DATABASE_POOLING=pgbouncer`).

A PgBouncer of the test's own (its own port, two server connections, pointed at the test's
PostgreSQL) stands between the app and the database; signed-in reads, a sign-out that the very
next request sees, and parallel transfers with their idempotency records all go through it.
PostgreSQL only (PgBouncer speaks its protocol); Debian's `pgbouncer`, as .ci/run installs.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from portico.config import Settings
from portico.db import Database
from portico.idempotency.models import IdempotencyRecord
from portico.ledger import service as ledger
from portico.transfers.models import TransferOrder
from tests.support.db import PG_URL, make_settings, truncate
from tests.support.money import Money
from tests.support.portal import assert_error, assert_ok

# One xdist worker runs the module: its module-scoped fixtures are set up once.
pytestmark = [
    pytest.mark.skipif(not PG_URL, reason="PgBouncer pools PostgreSQL connections"),
    pytest.mark.xdist_group("pgbouncer"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def pgbouncer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A PgBouncer in transaction-pooling mode on a free port; its port."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        pytest.fail("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    upstream = make_url(PG_URL)
    work = tmp_path_factory.mktemp("pgbouncer")
    work.chmod(0o755)
    port = free_port()
    (work / "users.txt").write_text(f'"{upstream.username}" ""\n')
    config = work / "pgbouncer.ini"
    # PgBouncer refuses to run as root: started as root, it switches to `user`.
    run_as = "" if os.geteuid() else f"user = {_unprivileged_user()}\n"
    config.write_text(
        "[databases]\n"
        f"* = host={upstream.host or '127.0.0.1'} port={upstream.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {work / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 200\n"
        "ignore_startup_parameters = extra_float_digits\n"
        f"{run_as}"
    )
    for path in work.iterdir():
        path.chmod(0o644)
    process = subprocess.Popen(  # noqa: S603 - the installed pgbouncer, our config
        [binary, str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"pgbouncer exited with {process.returncode}: {output}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("pgbouncer did not start listening")
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.fail("no unprivileged user to run pgbouncer as")


@pytest.fixture
def settings(database_url: str, tmp_path: Path, pgbouncer: int) -> Settings:
    through = make_url(database_url).set(host="127.0.0.1", port=pgbouncer)
    return make_settings(
        through.render_as_string(hide_password=False),
        tmp_path,
        database_pooling="pgbouncer",
        database_pool_size=8,
    )


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database.from_url(settings.resolved_database_url, pool_size=8, pgbouncer=True)
    yield db
    await truncate(db)
    await db.dispose()


async def test_the_app_pool_shares_two_server_connections(database: Database) -> None:
    async def backend() -> int:
        async with database.sessionmaker() as session, session.begin():
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
            await session.execute(text("SELECT pg_sleep(0.05)"))
            return int(pid or 0)

    # Eight client connections at once, served by PgBouncer's two server connections.
    pids = await asyncio.gather(*(backend() for _ in range(8)))
    assert 1 <= len(set(pids)) <= 2


async def test_signed_in_reads_and_sign_out_through_pgbouncer(money: Money) -> None:
    wallet = await money.fund(money.alice, "USD", "10")
    reads = await asyncio.gather(
        *(
            money.alice.get(path)
            for path in ("/profile", "/wallets", f"/wallets/{wallet}/balance") * 10
        )
    )
    for response in reads:
        assert_ok(response)
    assert assert_ok(reads[2])["availableBalance"] == "10.00"
    assert_ok(await money.alice.post("/auth/logout"))
    # the session's end is seen by the very next request, whichever server connection serves it
    for _ in range(3):
        assert_error(await money.alice.get("/profile"), 401, "ACCESS.TOKEN_INVALID")
    assert_ok(await money.bob.get("/profile"))


async def test_parallel_transfers_through_pgbouncer(money: Money) -> None:
    source = await money.fund(money.alice, "USD", "100")
    target = await money.fund(money.bob, "USD", "1")
    keys = [uuid.uuid4().hex for _ in range(24)]

    async def send(key: str) -> Any:
        return await money.alice.post(
            f"{money.alice.transfers}/command/create",
            {"fromWalletBizId": source, "toWalletBizId": target, "amount": "1.25"},
            headers={"Idempotency-Key": key},
        )

    answers = await asyncio.gather(*(send(key) for key in keys))
    orders = [assert_ok(answer, "2001", 201) for answer in answers]
    replay = assert_ok(await send(keys[0]), "2001", 201)
    assert replay["bizId"] == orders[0]["bizId"]
    balance = assert_ok(await money.alice.get(f"/wallets/{source}/balance"))
    assert Decimal(balance["availableBalance"]) == Decimal("100") - 24 * Decimal("1.25")
    session = money.session
    assert await session.scalar(select(func.count()).select_from(TransferOrder)) == 24
    assert await session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 24
    assert await ledger.verify(session) == []
