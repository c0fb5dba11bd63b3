"""Test harness: a real database (SQLite, or PostgreSQL via PORTICO_TEST_DATABASE_URL) built by
the Alembic migrations, the app driven in-process over ASGI, and a mail outbox per test."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from portico import cli
from portico.config import Settings, get_settings
from portico.db import Base, Database
from portico.enums import AccountPortal
from portico.main import create_app
from portico.migrate import upgrade_database
from portico.models import Base as _AllModels  # noqa: F401  (registers every table)
from tests.conformance import check_response
from tests.factories.accounts import (
    DEFAULT_PASSWORD,
    TEST_ARGON2_MEMORY_KIB,
    TEST_ARGON2_TIME_COST,
    create_account,
)
from tests.factories.institutions import InstitutionCodes, create_institution

PG_URL = os.environ.get("PORTICO_TEST_DATABASE_URL", "")
pytest_plugins = ["tests.oauth_fixtures"]


@contextmanager
def scratch_pg_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database next to the configured one, dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def admin(statement: str) -> None:
        engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for the whole run.

    On PostgreSQL each run creates its own database next to the configured one and drops it
    afterwards, so parallel runs on one server never see each other's data.
    """
    if not PG_URL:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        upgrade_database(Settings(database_url=url))
        yield url
        return
    with scratch_pg_database("portico_test") as url:
        upgrade_database(Settings(database_url=url))
        yield url


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "var_dir": tmp_path / "var",
        "mail_outbox_dir": tmp_path / "mail",
        "secret_key": "test-secret-key-0123456789abcdef0123456789",
        "log_level": "WARNING",
        "database_pool_size": 16,
        # Cheap hashes keep the suite fast; the OWASP defaults are tested on their own
        # (tests/auth/test_register.py) and the factories hash with these same parameters.
        "argon2_memory_kib": TEST_ARGON2_MEMORY_KIB,
        "argon2_time_cost": TEST_ARGON2_TIME_COST,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database.from_url(settings.resolved_database_url, pool_size=settings.database_pool_size)
    yield db
    await _truncate(db)
    await db.dispose()


async def _truncate(db: Database) -> None:
    # reference data seeded by the migrations stays
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "currencies"]
    # DELETE, children first: on PostgreSQL a TRUNCATE of every table costs ~120 ms a test,
    # DELETE of a test's few rows ~7 ms.
    async with db.engine.begin() as connection:
        for name in tables:
            await connection.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    """A session for arranging and inspecting data (without the app's workspace scope guard);
    commit what the app must see."""
    async with async_sessionmaker(database.engine, expire_on_commit=False)() as s:
        yield s


@pytest.fixture
async def app(settings: Settings, database: Database) -> AsyncIterator[Any]:
    application = create_app(settings, database=database)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI; every portal answer is checked against `/openapi.json`."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 40000))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://portico.test",
        event_hooks={"response": [check_response]},
    ) as client:
        yield client


@pytest.fixture
async def institution(session: AsyncSession) -> InstitutionCodes:
    codes = await create_institution(session)
    await session.commit()
    return codes


@dataclass
class Outbox:
    directory: Path
    app: Any
    seen: set[str] = field(default_factory=set)

    async def messages(self, to: str | None = None) -> list[email.message.EmailMessage]:
        await self.app.state.mailer.drain()
        found = []
        for path in sorted(self.directory.glob("*.eml")) if self.directory.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to is None or message["To"] == to:
                found.append(message)  # type: ignore[arg-type]
        return found

    async def last(self, to: str) -> email.message.EmailMessage:
        messages = await self.messages(to)
        assert messages, f"no mail to {to}"
        return messages[-1]

    async def last_code(self, to: str) -> str:
        body = (await self.last(to)).get_content()
        match = re.search(r"code is (\d{6})", body)
        assert match, body
        return match.group(1)


@pytest.fixture
def outbox(settings: Settings, app: Any) -> Outbox:
    return Outbox(directory=settings.resolved_mail_outbox_dir, app=app)


class Portal:
    """A front end of one portal: sends the access code, and optionally a bearer token."""

    def __init__(
        self, http: httpx.AsyncClient, portal: AccountPortal, code: str, outbox: Outbox
    ) -> None:
        self.http = http
        self.portal = portal
        self.code = code
        self.outbox = outbox
        self.prefix = f"/web/v1/{portal.value.lower()}"

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        headers = {"X-PORTAL-ACCESS-CODE": self.code}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        headers.update(extra)
        return headers

    async def post(
        self, path: str, body: Any = None, *, token: str | None = None, **kw: Any
    ) -> httpx.Response:
        return await self.http.post(
            self.prefix + path,
            json=body,
            headers=self.headers(token, **kw.pop("headers", {})),
            **kw,
        )

    async def get(self, path: str, *, token: str | None = None, **kw: Any) -> httpx.Response:
        return await self.http.get(
            self.prefix + path, headers=self.headers(token, **kw.pop("headers", {})), **kw
        )

    async def login(self, email_address: str, password: str = DEFAULT_PASSWORD) -> dict[str, Any]:
        started = await self.post(
            "/auth/login/initiate", {"email": email_address, "password": password}
        )
        assert started.status_code == 200, started.text
        session_id = started.json()["data"]["sessionId"]
        code = await self.outbox.last_code(email_address)
        done = await self.post(
            "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": code}
        )
        assert done.status_code == 200, done.text
        data: dict[str, Any] = done.json()["data"]
        return data


@pytest.fixture(params=[AccountPortal.CONSUMER, AccountPortal.PARTNER], ids=["consumer", "partner"])
def portal(
    request: pytest.FixtureRequest,
    http: httpx.AsyncClient,
    institution: InstitutionCodes,
    outbox: Outbox,
) -> Portal:
    """Each test using this runs once per portal."""
    kind: AccountPortal = request.param
    return Portal(http, kind, institution.code(kind), outbox)


@pytest.fixture
async def account(session: AsyncSession, institution: InstitutionCodes, portal: Portal) -> Any:
    created = await create_account(
        session, institution_id=institution.institution_id, portal=portal.portal
    )
    await session.commit()
    return created


# The documented answer of a paged list with no records (portal-api.md §1.5).
EMPTY_PAGE = {
    "items": [],
    "pagination": {
        "totalPages": 0,
        "totalRecords": 0,
        "currentPage": 1,
        "pageSize": 0,
        "hasNext": False,
        "empty": True,
        "paginated": False,
    },
}


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    """The documented error envelope, exactly."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["version", "timestamp", "success", "code", "message", "data"]
    assert body["success"] is False
    assert body["code"] == code
    assert body["data"] is None


def assert_ok(response: httpx.Response, code: str = "2000", status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["version", "timestamp", "success", "code", "message", "data"]
    assert body["success"] is True
    assert body["code"] == code
    return body["data"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(settings: Settings, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a server process serving the test database with the test secret."""
    return {
        **os.environ,
        "PORTICO_DATABASE_URL": settings.resolved_database_url,
        "PORTICO_SECRET_KEY": settings.secret_key,
        "PORTICO_VAR_DIR": str(var_dir),
        "PORTICO_MAIL_OUTBOX_DIR": str(settings.resolved_mail_outbox_dir),
        "PORTICO_LOG_LEVEL": "WARNING",
        "PORTICO_ARGON2_MEMORY_KIB": str(settings.argon2_memory_kib),
        "PORTICO_ARGON2_TIME_COST": str(settings.argon2_time_cost),
        **extra,
    }


@contextmanager
def running_servers(
    env: dict[str, str], count: int = 1, *, cli: bool = False, stderr: Any = None
) -> Iterator[list[str]]:
    """`count` server processes on free ports, up (`/healthz` answers) before this yields.

    `cli`: started as operators do, `portico serve`; else `uvicorn` directly."""
    ports = [_free_port() for _ in range(count)]

    def command(port: int) -> list[str]:
        if cli:
            return [sys.executable, "-m", "portico.cli", "serve", "--port", str(port)]
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "portico.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]

    processes = [
        subprocess.Popen(command(port), env=env, stderr=stderr)  # noqa: S603 - our own interpreter
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 120  # a loaded machine imports slowly
        for url in urls:
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start")
                time.sleep(0.1)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            # A graceful shutdown waits for open connections; on a loaded machine it may take
            # longer than a test should wait: then the process is killed.
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def servers(settings: Settings, database: Any, tmp_path: Path) -> Iterator[list[str]]:
    """Two `uvicorn` processes serving the test database with the same secret."""
    with running_servers(server_env(settings, tmp_path / "var"), 2) as urls:
        yield urls


@pytest.fixture
def cli_env(
    database_url: str,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[None]:
    """`portico` commands against the test database (truncated after the test), with the
    app's secret key (secrets the commands digest must match the app's)."""
    monkeypatch.setenv("PORTICO_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTICO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PORTICO_SECRET_KEY", settings.secret_key)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def portico(*argv: str) -> int:
    """Run the command line (it runs its own event loop, so in a thread of its own)."""
    return await asyncio.to_thread(cli.main, list(argv))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server over HTTP: moto's server mode, in a process of its own."""
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and a dev dependency
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/moto-api/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def s3_overrides(endpoint: str, bucket: str) -> dict[str, Any]:
    """Settings for the S3 storage backend on the test server."""
    return {
        "storage_backend": "s3",
        "s3_bucket": bucket,
        "s3_endpoint_url": endpoint,
        "s3_access_key_id": "testing",
        "s3_secret_access_key": "testing",
        "s3_addressing_style": "path",
    }


def backend_overrides(backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings for the storage backend named by a test's `backend` parameter."""
    if backend != "s3":
        return {}
    return s3_overrides(
        request.getfixturevalue("s3_endpoint"), request.getfixturevalue("s3_bucket")
    )


@pytest.fixture
async def s3_bucket(s3_endpoint: str) -> str:
    """A fresh bucket on the test S3 server."""
    from aiobotocore.session import get_session

    name = f"portico-{uuid.uuid4().hex[:12]}"
    async with get_session().create_client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as client:
        await client.create_bucket(Bucket=name)
    return name
