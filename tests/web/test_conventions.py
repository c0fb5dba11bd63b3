"""Envelope, portal access codes, request ids, body limits, unknown routes, client IPs."""

from __future__ import annotations

import gc
import json as json_module
import re
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.routing import Match

from portico.config import Settings
from portico.constants import router as constants_router
from portico.db import Database
from portico.deps import get_auth_kit, get_settings_dep, get_storage
from portico.enums import AccountPortal
from portico.main import create_app
from portico.oauth.deps import get_keyring
from portico.runtime import Runtime, runtime_of
from portico.security.models import LoginHistory
from portico.web.handlers import _handle_database_error
from portico.web.routing import SELECTED_ROUTE, PortalDispatch
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.factories.institutions import create_institution
from tests.support.portal import Portal, assert_error, assert_ok


class TestEnvelope:
    async def test_success_shape(self, portal: Portal) -> None:
        response = await portal.get("/constants/countries")
        body = response.json()
        assert list(body) == ["version", "timestamp", "success", "code", "message", "data"]
        assert body["version"] == "2.0.0" and body["message"] == "Success"
        assert isinstance(body["timestamp"], int) and body["timestamp"] > 1_700_000_000_000
        assert response.headers["content-type"] == "application/json"

    async def test_unknown_route_and_method(self, portal: Portal) -> None:
        assert_error(await portal.get("/no/such/route"), 404, "RESOURCE.NOT_FOUND")
        assert_error(await portal.http.get("/nowhere"), 404, "RESOURCE.NOT_FOUND")
        assert_error(await portal.get("/auth/login/initiate"), 405, "REQUEST.METHOD_NOT_ALLOWED")

    async def test_malformed_json(self, portal: Portal) -> None:
        for raw in [b"{", b"not json", b"\xff\xfe", b'{"email": "a@b.co", "password": NaN}']:
            response = await portal.http.post(
                f"{portal.prefix}/auth/login/initiate",
                content=raw,
                headers={**portal.headers(), "Content-Type": "application/json"},
            )
            assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    async def test_nul_in_any_json_encoding(self, portal: Portal) -> None:
        # JSON may come in UTF-16 or -32; a NUL must not reach a (PostgreSQL) query in any
        for encoding in ("utf-8", "utf-16", "utf-16-le", "utf-32"):
            body = '{"email":"a@b.co","password":"\\u0000"}'.encode(encoding)
            response = await portal.http.post(
                f"{portal.prefix}/auth/login/initiate",
                content=body,
                headers={**portal.headers(), "Content-Type": "application/json"},
            )
            assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    async def test_body_too_large(self, portal: Portal) -> None:
        big = b'{"email":"a@b.co","password":"' + b"x" * 2_000_000 + b'"}'
        response = await portal.http.post(
            f"{portal.prefix}/auth/login/initiate",
            content=big,
            headers={**portal.headers(), "Content-Type": "application/json"},
        )
        assert_error(response, 413, "REQUEST.BODY_TOO_LARGE")

    async def test_streamed_body_too_large(self, portal: Portal) -> None:
        async def chunks() -> Any:
            for _ in range(40):
                yield b"x" * 65536

        response = await portal.http.post(
            f"{portal.prefix}/auth/login/initiate",
            content=chunks(),
            headers={**portal.headers(), "Content-Type": "application/json"},
        )
        assert_error(response, 413, "REQUEST.BODY_TOO_LARGE")

    async def test_openapi_and_docs(self, http: httpx.AsyncClient) -> None:
        spec = (await http.get("/openapi.json")).json()
        assert "/web/v1/consumer/auth/login/initiate" in spec["paths"]
        assert "/web/v1/partner/auth/login/initiate" in spec["paths"]
        assert (await http.get("/docs")).status_code == 200

    async def test_the_dispatch_index_finds_every_portal_operation(
        self, app: Any, http: httpx.AsyncClient
    ) -> None:

        dispatch = next(r for r in app.router.routes if isinstance(r, PortalDispatch))
        spec = (await http.get("/openapi.json")).json()
        portal_paths = [path for path in spec["paths"] if path.startswith("/web/v1/")]
        assert len(portal_paths) > 100
        for path in portal_paths:
            concrete = re.sub(r"\{[^}]+\}", "x1", path)
            for method in spec["paths"][path]:
                scope = {"type": "http", "method": method.upper(), "path": concrete}
                scope |= {"root_path": "", "headers": [], "query_string": b""}
                match, child_scope = dispatch.matches(scope)
                assert match == Match.FULL, f"{method} {path}"
                assert child_scope[SELECTED_ROUTE] in app.router.routes
        # anything else falls through to the full route list (404, 405 answered there)
        for method, path in (("GET", "/web/v1/consumer/nowhere"), ("GET", "/healthz")):
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            assert dispatch.matches(scope | {"headers": [], "query_string": b""})[0] == Match.NONE


class TestPortalAccessCode:
    async def test_missing_unknown_and_other_portal(self, portal: Portal, institution: Any) -> None:
        path = f"{portal.prefix}/constants/countries"
        assert_error(await portal.http.get(path), 403, "ACCESS.PORTAL_CODE_INVALID")
        assert_error(
            await portal.http.get(path, headers={"X-PORTAL-ACCESS-CODE": "pac_nope"}),
            403,
            "ACCESS.PORTAL_CODE_INVALID",
        )
        other = (
            institution.partner if portal.portal == AccountPortal.CONSUMER else institution.consumer
        )
        assert_error(
            await portal.http.get(path, headers={"X-PORTAL-ACCESS-CODE": other}),
            403,
            "ACCESS.PORTAL_CODE_INVALID",
        )
        assert_ok(await portal.http.get(path, headers={"x-portal-access-code": portal.code}))

    async def test_checked_before_anything_else(self, portal: Portal) -> None:
        response = await portal.http.post(f"{portal.prefix}/auth/login/initiate", json={})
        assert_error(response, 403, "ACCESS.PORTAL_CODE_INVALID")
        response = await portal.http.get(f"{portal.prefix}/profile")
        assert_error(response, 403, "ACCESS.PORTAL_CODE_INVALID")

    async def test_code_of_another_institution_scopes_accounts(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:

        other = await create_institution(session)
        await session.commit()
        elsewhere = Portal(portal.http, portal.portal, other.code(portal.portal), portal.outbox)
        response = await elsewhere.post(
            "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
        )
        assert_error(response, 401, "AUTH.INVALID_CREDENTIALS")


class TestRequestId:
    async def test_generated_and_echoed(self, portal: Portal) -> None:
        generated = await portal.get("/constants/countries")
        assert len(generated.headers["x-request-id"]) == 32
        echoed = await portal.get("/constants/countries", headers={"X-Request-Id": "abc-123"})
        assert echoed.headers["x-request-id"] == "abc-123"
        unsafe = await portal.get(
            "/constants/countries", headers={"X-Request-Id": "bad id\twith spaces"}
        )
        assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
        errored = await portal.get("/nope", headers={"X-Request-Id": "err-1"})
        assert errored.headers["x-request-id"] == "err-1"


class TestClientIp:
    async def _attempt_from(self, app: Any, portal: Portal, email: str, peer: str) -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(peer, 5000)), base_url="http://p"
        ) as client:
            await client.post(
                f"{portal.prefix}/auth/login/initiate",
                json={"email": email, "password": "wrong-one"},
                headers={
                    **portal.headers(),
                    "CF-Connecting-IP": "198.51.100.7",
                    "User-Agent": "ua-test/1",
                },
            )

    async def _seen_ips(self, session: AsyncSession) -> list[str | None]:
        rows = await session.execute(select(LoginHistory).order_by(LoginHistory.id))
        return [row.client_ip for row in rows.scalars()]

    async def test_no_peer_is_trusted_by_default(
        self, app: Any, account: Any, portal: Portal, session: AsyncSession
    ) -> None:
        """Not even loopback: else any local client could pick the IP the whitelist and the
        per-IP limits see."""
        assert runtime_of(app).settings.trusted_proxies == []
        await self._attempt_from(app, portal, account.email, "127.0.0.1")
        await self._attempt_from(app, portal, account.email, "::1")
        assert await self._seen_ips(session) == ["127.0.0.1", "::1"]

    async def test_cf_connecting_ip_only_from_a_configured_proxy(
        self, app: Any, account: Any, portal: Portal, session: AsyncSession
    ) -> None:
        runtime_of(app).settings.trusted_proxies = ["127.0.0.1/32"]
        await self._attempt_from(app, portal, account.email, "127.0.0.1")
        await self._attempt_from(app, portal, account.email, "127.0.0.2")
        assert await self._seen_ips(session) == ["198.51.100.7", "127.0.0.2"]
        rows = await session.execute(select(LoginHistory.user_agent))
        assert set(rows.scalars()) == {"ua-test/1"}


class TestUnexpectedErrors:
    async def test_unexpected_exception_leaks_nothing(self, app: Any, portal: Portal) -> None:

        original = constants_router.data.countries

        def explode() -> Any:
            raise RuntimeError("secret internals: password=hunter2")

        # The app answers the 500 envelope itself: nothing escapes to the server (an
        # ASGITransport raises whatever does), the exception goes to the log.
        constants_router.data.countries = explode  # type: ignore[assignment]
        try:
            response = await portal.get("/constants/countries")
        finally:
            constants_router.data.countries = original  # type: ignore[assignment]
        assert_error(response, 500, "SYSTEM.INTERNAL_ERROR")
        assert (
            "hunter2" not in response.text and response.json()["message"] == "Internal server error"
        )

        def conflict() -> Any:
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))

        # (a GET never writes: this 409 is not in the document, so no conformance check here)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://p") as client:
            constants_router.data.countries = conflict  # type: ignore[assignment]
            try:
                response = await client.get(
                    f"{portal.prefix}/constants/countries", headers=portal.headers()
                )
            finally:
                constants_router.data.countries = original  # type: ignore[assignment]
        assert_error(response, 409, "REQUEST.CONFLICT")


class TestDatabaseErrors:
    async def test_a_deadlock_or_serialization_failure_is_503(self) -> None:

        class Rolled(Exception):
            sqlstate = "40P01"

        class Broken(Exception):
            sqlstate = "22021"

        request = Request({"type": "http", "method": "POST", "path": "/x", "headers": []})
        rolled = await _handle_database_error(request, DBAPIError("SELECT 1", {}, Rolled()))
        assert rolled.status_code == 503
        assert json_module.loads(bytes(rolled.body))["code"] == "SYSTEM.UNAVAILABLE"
        broken = await _handle_database_error(request, DBAPIError("SELECT 1", {}, Broken()))
        assert broken.status_code == 500


class TestRuntime:
    async def test_the_app_holds_one_typed_runtime(self, app: Any) -> None:
        """Everything a route, a page or a job takes from the process is in `Runtime`: the
        app's state holds that one item, and each request dependency is a part of it."""
        assert set(app.state._state) == {"runtime"}
        runtime = runtime_of(app)
        assert isinstance(runtime, Runtime)
        request = Request({"type": "http", "app": app, "method": "GET", "headers": []})
        assert await get_settings_dep(request) is runtime.settings
        assert await get_auth_kit(request) is runtime.auth_kit
        assert await get_storage(request) is runtime.storage
        assert await get_keyring(request) is runtime.keyring
        assert runtime.mailer is runtime.auth_kit.mailer
        assert runtime.auth_kit.database is runtime.database

    async def test_a_server_freezes_the_heap_startup_built(
        self, settings: Settings, database: Database
    ) -> None:
        """`gc_freeze` (on by default, off in the tests' settings): once started, what startup
        built is out of the cyclic collector's sight; once stopped, back in it."""
        assert Settings.model_fields["gc_freeze"].default is True
        assert settings.gc_freeze is False
        application = create_app(settings.model_copy(update={"gc_freeze": True}), database=database)
        assert gc.get_freeze_count() == 0
        async with application.router.lifespan_context(application):
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
        plain = create_app(settings, database=database)
        async with plain.router.lifespan_context(plain):
            assert gc.get_freeze_count() == 0
