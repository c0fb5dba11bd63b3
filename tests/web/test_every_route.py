"""Every portal route answers on each portal: the smoke pass beside the suite's one-portal tests.

A route is written once for both portals, so most tests run on one portal (tests/conftest.py);
this pass calls every operation of `/openapi.json` under each portal's prefix once, as the
portal's Alice (in a session of her own, the owner of a LIVE workspace with a funded wallet),
with an empty body and unknown ids. The answer must be documented (checked against the document
as everywhere in the suite), never a 500, and past the portal's access code, the route table
and the bearer token, and the owner's permissions. One app and one database serve the module.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import Database
from portico.enums import AccountPortal
from portico.main import PORTAL_ONLY_ROUTERS, SHARED_ROUTERS, create_app
from portico.web.context import PORTAL_PREFIXES
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes, create_institution
from tests.factories.money import fund_wallet
from tests.factories.workspaces import owned_workspace
from tests.support.conformance import check_response, document
from tests.support.db import make_settings, truncate
from tests.support.portal import TEST_CLIENT_IP, mint_session

# One xdist worker runs the module: its module-scoped fixtures are set up once.
pytestmark = pytest.mark.xdist_group("every_route")

ENVELOPE = ["version", "timestamp", "success", "code", "message", "data"]
# Refusals that would mean the call never reached the route on this portal.
NOT_REACHED = {
    "ACCESS.PORTAL_CODE_INVALID",
    "ACCESS.TOKEN_MISSING",
    "ACCESS.TOKEN_INVALID",
    "REQUEST.METHOD_NOT_ALLOWED",
}


def portal_operations() -> list[tuple[AccountPortal, str, str, dict[str, Any]]]:
    found = []
    for path, item in document()["paths"].items():
        for portal in AccountPortal:
            if path.startswith(f"/web/v1/{portal.value.lower()}/"):
                for method, operation in item.items():
                    found.append((portal, method.upper(), path, operation))
    return found


OPERATIONS = portal_operations()


def test_the_pass_covers_every_portal_route() -> None:
    """No portal route escapes the pass by being left out of the document."""
    routes = {
        (method, PORTAL_PREFIXES[portal] + route.path)
        for portal in AccountPortal
        for router in SHARED_ROUTERS + PORTAL_ONLY_ROUTERS[portal]
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert {(method, path) for _, method, path, _ in OPERATIONS} == routes
    assert {portal for portal, *_ in OPERATIONS} == set(AccountPortal)


@dataclass
class World:
    app: Any
    http: httpx.AsyncClient
    session: AsyncSession
    institution: InstitutionCodes
    accounts: dict[AccountPortal, Account]
    workspaces: dict[AccountPortal, str]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    settings = make_settings(database_url, tmp_path_factory.mktemp("every-route"))
    database = Database.from_url(settings.resolved_database_url, pool_size=4)
    app = create_app(settings, database=database)
    try:
        async with app.router.lifespan_context(app), database.sessionmaker() as session:
            institution = await create_institution(session)
            accounts, workspaces = {}, {}
            for portal in AccountPortal:
                account = await create_account(
                    session, institution_id=institution.institution_id, portal=portal
                )
                workspace = await owned_workspace(session, owner=account)
                await fund_wallet(session, workspace=workspace, currency="USD", amount="100")
                accounts[portal], workspaces[portal] = account, workspace.biz_id
            await session.commit()
            transport = httpx.ASGITransport(app=app, client=(TEST_CLIENT_IP, 40000))
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://portico.test",
                event_hooks={"response": [check_response]},
            ) as http:
                yield World(app, http, session, institution, accounts, workspaces)
    finally:
        await truncate(database)
        await database.dispose()


@pytest.mark.parametrize(
    ("portal", "method", "path", "operation"),
    OPERATIONS,
    ids=[f"{method} {path}" for _, method, path, _ in OPERATIONS],
)
@pytest.mark.asyncio(loop_scope="module")
async def test_every_route_answers_on_its_portal(
    world: World, portal: AccountPortal, method: str, path: str, operation: dict[str, Any]
) -> None:
    alice = world.accounts[portal]
    # a session of its own: a route that ends sessions (logout, ...) ends only this one
    tokens = await mint_session(world.app, world.session, alice, world.institution)
    headers = {
        "X-PORTAL-ACCESS-CODE": world.institution.code(portal),
        "Authorization": f"Bearer {tokens['accessToken']}",
        "X-Workspace-Id": world.workspaces[portal],
    }
    concrete = re.sub(r"\{[^}]+\}", "unknown-id", path)
    content = operation.get("requestBody", {}).get("content", {})
    body = {"json": {}} if "application/json" in content else {}
    response = await world.http.request(method, concrete, headers=headers, **body)
    label = f"{method} {path}: {response.status_code} {response.text[:300]}"
    assert response.status_code < 500, label
    if response.status_code == 204 or not response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        return  # a bare 204 or a download: documented as such (checked by the client)
    answer = response.json()
    assert list(answer) == ENVELOPE, label
    assert answer["code"] not in NOT_REACHED, label
    if response.status_code == 404:
        assert "{" in path or operation.get("requestBody"), label  # an unknown id, not a route
    if answer["code"] == "ACCESS.PERMISSION_DENIED":
        assert path.endswith("/sandbox/reset"), label  # the owner of a LIVE workspace: documented
