"""Session state is shared by every API process: two real servers on one database."""

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
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from portico.config import Settings
from tests.conftest import assert_error, assert_ok
from tests.factories.accounts import DEFAULT_PASSWORD


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def servers(settings: Settings, database: Any, tmp_path: Path) -> Iterator[list[str]]:
    """Two `uvicorn` processes serving the test database with the same secret."""
    env = {
        **os.environ,
        "PORTICO_DATABASE_URL": settings.resolved_database_url,
        "PORTICO_SECRET_KEY": settings.secret_key,
        "PORTICO_VAR_DIR": str(tmp_path / "var"),
        "PORTICO_MAIL_OUTBOX_DIR": str(settings.resolved_mail_outbox_dir),
        "PORTICO_LOG_LEVEL": "WARNING",
    }
    ports = [_free_port(), _free_port()]
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
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
            ],
            env=env,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 30
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
            process.wait(timeout=10)


async def _code_for(outbox: Path, to: str, seen: int) -> str:
    for _ in range(100):
        messages = [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(outbox.glob("*.eml"))
        ]
        mine = [m for m in messages if m["To"] == to]
        if len(mine) > seen:
            match = re.search(r"code is (\d{6})", mine[-1].get_content())  # type: ignore[attr-defined]
            assert match
            return match.group(1)
        await asyncio.sleep(0.05)
    raise AssertionError("no code mailed")


@pytest.fixture
async def clients(servers: list[str]) -> AsyncIterator[list[httpx.AsyncClient]]:
    async with (
        httpx.AsyncClient(base_url=servers[0]) as a,
        httpx.AsyncClient(base_url=servers[1]) as b,
    ):
        yield [a, b]


async def test_terminated_session_fails_at_once_on_the_other_process(
    clients: list[httpx.AsyncClient], institution: Any, account: Any, settings: Settings
) -> None:
    a, b = clients
    prefix = f"/web/v1/{account.portal.lower()}"
    headers = {"X-PORTAL-ACCESS-CODE": institution.code(account.portal)}
    outbox = settings.resolved_mail_outbox_dir

    async def login(via: httpx.AsyncClient, seen: int) -> dict[str, Any]:
        started = assert_ok(
            await via.post(
                f"{prefix}/auth/login/initiate",
                headers=headers,
                json={"email": account.email, "password": DEFAULT_PASSWORD},
            )
        )
        code = await _code_for(outbox, account.email, seen)
        data: dict[str, Any] = assert_ok(
            await via.post(
                f"{prefix}/auth/login/verify",
                headers=headers,
                json={"sessionId": started["sessionId"], "mfaMethod": "EMAIL", "code": code},
            )
        )
        return data

    phone = await login(a, 0)  # signed in through process A
    laptop = await login(b, 1)  # signed in through process B
    auth = lambda t: {**headers, "Authorization": f"Bearer {t['accessToken']}"}  # noqa: E731
    assert_ok(await a.get(f"{prefix}/profile", headers=auth(phone)))

    sessions = assert_ok(await b.get(f"{prefix}/security/sessions", headers=auth(laptop)))
    target = next(s["sessionId"] for s in sessions if not s["isCurrent"])
    assert_ok(
        await b.post(
            f"{prefix}/security/sessions/terminate",
            headers=auth(laptop),
            json={"sessionId": target},
        )
    )

    # the very next request on the other process is refused, for the access and refresh token
    assert_error(await a.get(f"{prefix}/profile", headers=auth(phone)), 401, "ACCESS.TOKEN_INVALID")
    response = await a.post(
        f"{prefix}/auth/token/refresh",
        headers=headers,
        json={"refreshToken": phone["refreshToken"]},
    )
    assert_error(response, 404, "AUTH.SESSION_NOT_FOUND")
    assert_ok(await a.get(f"{prefix}/profile", headers=auth(laptop)))

    # logout through A ends the laptop's session for B too
    assert_ok(await a.post(f"{prefix}/auth/logout", headers=auth(laptop)))
    assert_error(
        await b.get(f"{prefix}/profile", headers=auth(laptop)), 401, "ACCESS.TOKEN_INVALID"
    )
