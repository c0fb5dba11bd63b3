"""`/healthz`, `/readyz` and `/metrics` in process: what they answer, what they never tell, and
the metrics the requests leave behind (route templates, never ids)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from portico.config import Settings
from portico.db import Database
from portico.enums import AccountPortal
from portico.main import create_app
from portico.ops.health import migration_heads
from portico.runtime import runtime_of
from tests.support.conformance import document
from tests.support.db import make_settings
from tests.support.money import Money
from tests.support.portal import assert_error, assert_ok

OPS = ("/healthz", "/readyz", "/metrics")


def sample(text_: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` with these labels in the exposition text."""
    total = 0.0
    for line in text_.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.rsplit(" ", 1)[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def metrics_text(http: httpx.AsyncClient) -> str:
    answer = await http.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.text


class TestProbes:
    async def test_liveness(self, http: httpx.AsyncClient) -> None:
        answer = await http.get("/healthz")
        assert answer.status_code == 200 and answer.json() == {"status": "ok"}
        assert answer.headers["x-content-type-options"] == "nosniff"

    async def test_ready_names_every_check_and_nothing_else(self, http: httpx.AsyncClient) -> None:
        answer = await http.get("/readyz")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "status": "ready",
            "failing": [],
            "checks": {"database": "ok", "migrations": "ok", "jobs": "ok"},
        }
        assert not any(head in answer.text for head in migration_heads())
        assert "version" not in answer.text.lower()
        assert "x-request-id" not in answer.headers  # answered before the rest of the stack

    async def test_migrations_behind_head_is_503(
        self, http: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        [head] = migration_heads()
        await session.execute(text("UPDATE alembic_version SET version_num = 'behind'"))
        await session.commit()
        try:
            answer = await http.get("/readyz")
        finally:
            await session.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head}
            )
            await session.commit()
        assert answer.status_code == 503
        assert answer.json()["failing"] == ["migrations"]
        assert "behind" not in answer.text

    async def test_a_stopped_job_runner_is_503(self, app: Any, http: httpx.AsyncClient) -> None:
        await runtime_of(app).jobs.stop_worker()
        answer = await http.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["failing"] == ["jobs"]

    async def test_an_unreachable_database_is_503(self, tmp_path: Path) -> None:
        # a directory is no database file: every connection attempt fails
        url = f"sqlite+aiosqlite:///{tmp_path}"
        settings = make_settings(url, tmp_path, readiness_timeout_seconds=1.0)
        app = create_app(settings, database=Database.from_url(url))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://portico.test") as http:
            answer = await http.get("/readyz")
            assert (await http.get("/healthz")).status_code == 200  # alive all the same
        assert answer.status_code == 503
        assert answer.json() == {
            "status": "unavailable",
            "failing": ["database"],
            "checks": {"database": "failing", "migrations": "not checked", "jobs": "not checked"},
        }

    async def test_only_get_and_head(self, http: httpx.AsyncClient) -> None:
        for path in OPS:
            answer = await http.post(path)
            assert answer.status_code == 405 and answer.headers["allow"] == "GET, HEAD"
            head = await http.head(path)
            assert head.status_code in (200, 503) and head.content == b""

    def test_not_in_the_openapi_document(self) -> None:
        # served by the outermost middleware, not by a route: outside the documented API
        assert not set(OPS) & set(document()["paths"])


class TestMetrics:
    async def test_requests_by_route_template_never_by_path(
        self, http: httpx.AsyncClient, money: Money
    ) -> None:
        wallet = await money.fund(money.alice, amount="10")
        route = "/web/v1/consumer/wallets/{walletBizId}"
        prefix = money.alice.portal.prefix
        route = route.replace("/web/v1/consumer", prefix)
        before = sample(await metrics_text(http), "portico_http_requests_total", route=route)
        assert_ok(await money.alice.get(f"/wallets/{wallet}"))
        assert_error(await money.alice.get("/wallets/wal_nope"), 404, "RESOURCE.NOT_FOUND")
        exposed = await metrics_text(http)
        ok = {"route": route, "method": "GET", "status": "200"}
        assert sample(exposed, "portico_http_requests_total", **ok) >= 1
        assert sample(exposed, "portico_http_requests_total", route=route, status="404") >= 1
        assert sample(exposed, "portico_http_requests_total", route=route) == before + 2
        latency = {"route": route, "method": "GET", "le": "+Inf"}
        assert sample(exposed, "portico_http_request_duration_seconds_bucket", **latency) >= 2
        assert wallet not in exposed and "wal_nope" not in exposed
        assert (
            money.alice.account.email not in exposed and money.alice.account.biz_id not in exposed
        )
        assert "/wallets/x" not in exposed
        assert 'route="<unmatched>"' not in exposed or "nowhere" not in exposed

    async def test_pool_and_jobs(self, http: httpx.AsyncClient) -> None:
        exposed = await metrics_text(http)
        assert "portico_db_pool_connections_in_use{" in exposed
        assert sample(exposed, "portico_jobs_query_up") == 1
        for state in ("queued", "running", "failed"):
            assert f'portico_jobs{{state="{state}"}}' in exposed

    async def test_sign_in_failures_and_lockouts(
        self, http: httpx.AsyncClient, account: Any, portal: Any, settings: Settings
    ) -> None:
        kind = portal.portal.value
        failures = {"portal": kind, "reason": "INVALID_CREDENTIALS"}
        locks = {"portal": kind, "scope": "account"}
        exposed = await metrics_text(http)
        failed, locked = (
            sample(exposed, "portico_signin_failures_total", **failures),
            sample(exposed, "portico_signin_lockouts_total", **locks),
        )
        for _ in range(settings.login_account_max_failures + 1):
            await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": "Wrong-pass-1"}
            )
        exposed = await metrics_text(http)
        limit = settings.login_account_max_failures
        assert sample(exposed, "portico_signin_failures_total", **failures) == failed + limit
        assert sample(exposed, "portico_signin_lockouts_total", **locks) == locked + 1
        assert account.email not in exposed

    @pytest.mark.parametrize("portal_kind", [AccountPortal.CONSUMER], ids=["consumer"])
    async def test_replays_and_refusals(self, http: httpx.AsyncClient, money: Money) -> None:
        wallet = await money.fund(money.alice, amount="10")
        refused = {"operation": "transfer", "reason": "WALLET.INSUFFICIENT_BALANCE"}
        exposed = await metrics_text(http)
        replays = sample(exposed, "portico_idempotent_replays_total", operation="transfer")
        refusals = sample(exposed, "portico_money_requests_refused_total", **refused)
        body = {
            "fromWalletBizId": wallet,
            "toAccountEmail": money.bob.account.email,
            "amount": "1.00",
        }
        key = {"Idempotency-Key": "metrics-replay-1"}
        for _ in range(2):
            await money.alice.post("/transfer/command/create", body, headers=key)
        too_much = {**body, "amount": "500.00"}
        answer = await money.alice.post("/transfer/command/create", too_much)
        assert_error(answer, 400, "WALLET.INSUFFICIENT_BALANCE")
        exposed = await metrics_text(http)
        assert (
            sample(exposed, "portico_idempotent_replays_total", operation="transfer") == replays + 1
        )
        assert sample(exposed, "portico_money_requests_refused_total", **refused) == refusals + 1
        assert "500.00" not in exposed and "metrics-replay-1" not in exposed


class TestMetricsToken:
    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        return make_settings(
            database_url, tmp_path, jobs_in_process=True, metrics_token="scrape-me-0123456789"
        )

    async def test_bearer_token(self, http: httpx.AsyncClient) -> None:
        missing = await http.get("/metrics")
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith(
            "Bearer"
        )
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
        assert right.status_code == 200 and "portico_http_requests_total" in right.text
        # the probes stay open
        assert (await http.get("/healthz")).status_code == 200
