"""The short path of the hot reads (`web.fast_reads`, PostgreSQL only): it answers exactly what
the routes answer, and anything that is not a plain success goes on to the routes.
(The payment's short path: tests/money/test_fast_transfers.py.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from portico.accounts.models import Account
from portico.db import utcnow
from portico.runtime import runtime_of
from portico.security.models import AuthSession
from portico.web.fast_reads import FastReads
from portico.web.fast_transfers import FastPaths
from portico.web.routing import PortalDispatch
from tests.support.money import Money
from tests.support.portal import assert_error

# Headers that differ from one answer to the next whoever writes them.
VARYING = {"date", "x-request-id", "content-length", "server"}


@pytest.fixture
def fast(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reads the short path answered (it records each one it serves)."""
    if not runtime_of(app).database.reads_without_transaction:
        pytest.skip("the short path runs only on PostgreSQL, not through PgBouncer")
    dispatch = next(r for r in app.router.routes if isinstance(r, PortalDispatch))
    assert isinstance(dispatch.fast, FastPaths)
    reads = dispatch.fast.paths[0]
    assert isinstance(reads, FastReads)
    served: list[str] = []
    original = reads._served

    def record(scope: Any, kind: str, caller: Any) -> None:
        served.append(kind)
        original(scope, kind, caller)

    monkeypatch.setattr(reads, "_served", record)
    return served


def _shape(response: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in VARYING}
    body = response.json()
    body.pop("timestamp")
    return response.status_code, body, headers


Call = Callable[[], Awaitable[httpx.Response]]


async def _through_routes(app: Any, call: Call) -> httpx.Response:
    # Any overridden dependency sends every request to the routes.
    app.dependency_overrides[_through_routes] = lambda: None
    try:
        return await call()
    finally:
        app.dependency_overrides.clear()


async def test_answers_equal_the_routes(app: Any, money: Money, fast: list[str]) -> None:
    usd = await money.fund(money.alice, "USD", "12.5")
    await money.fund(money.alice, "JPY", "700")
    await money.fund(money.alice, "USDT", "0.012345")
    alice = money.alice
    workspace = {"X-Workspace-Id": alice.workspace.biz_id}
    calls: list[tuple[str, Call]] = [
        ("profile", lambda: alice.get("/profile")),
        ("wallets", lambda: alice.get("/wallets")),
        ("balance", lambda: alice.get(f"/wallets/{usd}/balance")),
        (
            "wallets",
            lambda: alice.portal.get("/wallets", token=alice.token, headers=workspace),
        ),
        (
            "balance",
            lambda: alice.portal.get(
                f"/wallets/{usd}/balance", token=alice.token, headers=workspace
            ),
        ),
    ]
    for _, call in calls:  # the routes read the currencies' scales first
        await _through_routes(app, call)
    for kind, call in calls:
        fast.clear()
        short = await call()
        assert fast == [kind], kind
        fast.clear()
        routed = await _through_routes(app, call)
        assert fast == []
        assert _shape(short) == _shape(routed), kind
        assert short.status_code == 200


async def test_anything_else_goes_to_the_routes(app: Any, money: Money, fast: list[str]) -> None:
    alice, bob = money.alice, money.bob
    bobs = await money.fund(bob, "USD", "1")
    await alice.get("/wallets")
    fast.clear()
    # another workspace's wallet, an unknown one, a workspace that is not the caller's
    assert_error(await alice.get(f"/wallets/{bobs}/balance"), 404, "RESOURCE.NOT_FOUND")
    assert_error(await alice.get("/wallets/nope/balance"), 404, "RESOURCE.NOT_FOUND")
    foreign = {"X-Workspace-Id": bob.workspace.biz_id}
    response = await alice.portal.get("/wallets", token=alice.token, headers=foreign)
    assert response.status_code in (403, 404)
    # a token that does not verify, a missing one
    assert (await alice.portal.get("/profile", token=alice.token + "x")).status_code == 401
    assert (await alice.portal.get("/profile")).status_code == 401
    assert fast == []

    # a revoked session fails on the very next request
    assert (await alice.get("/profile")).status_code == 200
    await money.session.execute(
        update(AuthSession)
        .where(AuthSession.account_id == alice.account.id)
        .values(revoked_at=utcnow())
    )
    await money.session.commit()
    fast.clear()
    assert (await alice.get("/profile")).status_code == 401
    assert (await alice.get("/wallets")).status_code == 401
    assert fast == []

    # an account that is not active, or has an IP whitelist: the routes decide
    await money.session.execute(
        update(Account).where(Account.id == bob.account.id).values(ip_whitelist_enabled=True)
    )
    await money.session.commit()
    await bob.get("/profile")
    assert fast == []
