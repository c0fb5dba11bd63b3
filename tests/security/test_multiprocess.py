"""Session state is shared by every API process: two real servers on one database."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from portico.config import Settings
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.support.portal import assert_error, assert_ok


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
