"""The portal dispatch index, and the route path under an ASGI `root_path`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.routing import Match

from portico.web.context import route_path
from portico.web.routing import SELECTED_ROUTE, PortalDispatch
from tests.factories.institutions import InstitutionCodes
from tests.support.portal import assert_error, assert_ok

COUNTRIES = "/web/v1/consumer/constants/countries"


@pytest.mark.parametrize(
    ("path", "root_path", "expected"),
    [
        (COUNTRIES, None, COUNTRIES),
        (COUNTRIES, "", COUNTRIES),
        (f"/api{COUNTRIES}", "/api", COUNTRIES),
        (f"/edge/api{COUNTRIES}", "/edge/api", COUNTRIES),
        ("/api", "/api", ""),
        (f"/apis{COUNTRIES}", "/api", f"/apis{COUNTRIES}"),  # not under the root path
        (COUNTRIES, "/api", COUNTRIES),  # a server that did not prefix the path
    ],
)
def test_route_path(path: str, root_path: str | None, expected: str) -> None:
    scope: dict[str, Any] = {"type": "http", "path": path}
    if root_path is not None:
        scope["root_path"] = root_path
    assert route_path(scope) == expected


def test_the_dispatch_strips_the_root_path(app: Any) -> None:
    dispatch = next(r for r in app.router.routes if isinstance(r, PortalDispatch))

    def match(path: str, root_path: str) -> tuple[Match, Any]:
        scope = {"type": "http", "method": "GET", "path": path, "root_path": root_path}
        match, child = dispatch.matches(scope | {"headers": [], "query_string": b""})
        return match, child.get(SELECTED_ROUTE)

    plain = match(COUNTRIES, "")
    assert plain[0] == Match.FULL
    assert match(f"/api{COUNTRIES}", "/api") == plain
    assert match(f"/apis{COUNTRIES}", "/api")[0] == Match.NONE
    assert match(f"/api{COUNTRIES}", "")[0] == Match.NONE


async def test_a_portal_route_answers_under_a_root_path(
    app: Any, institution: InstitutionCodes
) -> None:
    transport = httpx.ASGITransport(app=app, root_path="/api")
    headers = {"X-PORTAL-ACCESS-CODE": institution.consumer}
    async with httpx.AsyncClient(transport=transport, base_url="http://portico.test") as http:
        countries = assert_ok(await http.get(f"/api{COUNTRIES}", headers=headers))
        assert any(country["code"] == "CN" for country in countries)
        nowhere = await http.get("/api/web/v1/consumer/nowhere", headers=headers)
        assert_error(nowhere, 404, "RESOURCE.NOT_FOUND")
        assert (await http.get("/api/healthz")).json() == {"status": "ok"}
