"""Every issuer API and token endpoint route, read from the OpenAPI document, with the wrong
kind of token, another issuer's issuerId, malformed paths, headers and bodies: never a 500,
always the API's own error shape, and nothing changed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.api_keys.models import ApiKey
from portico.config import Settings
from portico.db import Database
from portico.issuer.models import AuditEvent, ConsumerOperation
from portico.main import create_app
from portico.runtime import runtime_of
from tests.factories.institutions import InstitutionCodes, create_institution
from tests.factories.oauth import create_issuer_client, mint_token
from tests.support.oauth import IssuerApi, KeyCredentials, Realm, portal_session

ALLOWED = {200, 201, 400, 401, 403, 404, 405, 409, 413}
METHODS = ("get", "post")


@dataclass(frozen=True)
class Route:
    method: str
    path: str

    def fill(self, issuer_id: str, value: str = "abc") -> str:
        return re.sub(
            r"\{(\w+)\}", lambda m: issuer_id if m.group(1) == "issuerId" else value, self.path
        )


def _routes(prefix: str) -> list[Route]:
    settings = Settings(database_url="sqlite+aiosqlite:///:memory:", secret_key="s" * 40)
    spec = create_app(settings, database=Database.for_command(settings.database_url)).openapi()
    return [
        Route(method, path)
        for path, item in spec["paths"].items()
        if path.startswith(prefix)
        for method in item
        if method in METHODS
    ]


ISSUER_ROUTES = _routes("/issuers/")
REALM_ROUTES = _routes("/auth/realms/")


def test_the_routes_are_found() -> None:
    assert len(ISSUER_ROUTES) >= 20 and len(REALM_ROUTES) == 4
    assert (
        Route("post", "/issuers/{issuerId}/consumers/{consumerId}/operations:delete")
        in ISSUER_ROUTES
    )


def assert_shaped(response: httpx.Response) -> None:
    assert response.status_code in ALLOWED, (response.status_code, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert list(body) == ["error"] and set(body["error"]) == {"code", "message"}, body


@pytest.fixture
async def tokens(
    app: Any,
    session: AsyncSession,
    realm: Realm,
    issuer_api: IssuerApi,
    api_key: KeyCredentials,
    institution: InstitutionCodes,
) -> dict[str, str]:
    """A token of every kind: this issuer's client, a partner key's, a portal session's, and
    another issuer's client."""

    key = (
        await session.execute(select(ApiKey).where(ApiKey.key_id == api_key.client_id))
    ).scalar_one()
    partner = await mint_token(session, app, institution_id=realm.institution_id, api_key=key)
    account = await session.get(Account, api_key.account_id)
    assert account is not None
    portal, _ = await portal_session(app, session, account, institution)
    other = await create_institution(session, name="Elsewhere")
    stranger = await create_issuer_client(
        session, runtime_of(app).auth_kit, institution_id=other.institution_id
    )
    foreign = await mint_token(
        session, app, institution_id=other.institution_id, issuer_client=stranger.client
    )
    await session.commit()
    return {
        "issuer": issuer_api.token,
        "partner": partner.access_token,
        "portal": portal,
        "foreign": foreign.access_token,
    }


async def _count(session: AsyncSession) -> tuple[int, int]:
    ops = (await session.execute(select(func.count(ConsumerOperation.id)))).scalar_one()
    events = (await session.execute(select(func.count(AuditEvent.id)))).scalar_one()
    return ops, events


async def test_wrong_tokens_issuers_paths_and_headers(
    http: httpx.AsyncClient, session: AsyncSession, issuer_api: IssuerApi, tokens: dict[str, str]
) -> None:
    issuer_id = issuer_api.issuer_id
    cases: list[tuple[str, dict[str, str], int, str]] = [
        ("", {}, 401, "ACCESS.TOKEN_MISSING"),
        ("", {"Authorization": "Basic abc"}, 401, "ACCESS.TOKEN_MISSING"),
        ("", {"Authorization": "Bearer not-a-jwt"}, 401, "ACCESS.TOKEN_INVALID"),
        ("", {"Authorization": f"Bearer {tokens['portal']}"}, 401, "ACCESS.TOKEN_INVALID"),
        (
            "",
            {"Authorization": f"Bearer {tokens['partner']}"},
            403,
            "ACCESS.ISSUER_CLIENT_REQUIRED",
        ),
        ("", {"Authorization": f"Bearer {tokens['foreign']}"}, 403, "ACCESS.ISSUER_MISMATCH"),
        ("X" * 10, {"Authorization": f"Bearer {tokens['issuer']}"}, 403, "ACCESS.ISSUER_MISMATCH"),
        (
            "SHORT",
            {"Authorization": f"Bearer {tokens['issuer']}"},
            400,
            "VALIDATION.INVALID_PARAMETER",
        ),
        (
            "",
            {"Authorization": f"Bearer {tokens['issuer']}", "x-correlation-id": "bad/id"},
            400,
            "VALIDATION.INVALID_PARAMETER",
        ),
    ]
    before = await _count(session)
    for route in ISSUER_ROUTES:
        for issuer, headers, status, code in cases:
            url = route.fill(issuer or issuer_id)
            response = await http.request(route.method.upper(), url, headers=headers, json={})
            assert_shaped(response)
            assert (response.status_code, response.json()["error"]["code"]) == (status, code), (
                route,
                headers,
            )
            if status == 401:
                assert response.headers["www-authenticate"].startswith("Bearer")
        for value in ("bad.id", "a" * 65, "%20", "%00"):
            if "{" not in route.path.replace("{issuerId}", ""):
                continue
            response = await http.request(
                route.method.upper(),
                route.fill(issuer_id, value),
                headers=issuer_api.headers(),
                json={},
            )
            assert_shaped(response)
            assert response.status_code == 400, (route, value, response.text)
    assert await _count(session) == before


BODIES = st.one_of(
    st.binary(max_size=60),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=8,
    ).map(lambda v: json.dumps(v).encode()),
)
FIELDS = st.dictionaries(
    st.sampled_from(
        [
            "reason",
            "reasonCode",
            "email",
            "rate",
            "baseCurrency",
            "quoteCurrency",
            "minAmount",
            "maxAmount",
            "currency",
            "channelName",
            "workspaceBizId",
            "limit",
        ]
    ),
    st.one_of(
        st.text(max_size=70), st.integers(), st.none(), st.booleans(), st.floats(allow_nan=False)
    ),
    max_size=5,
).map(lambda v: json.dumps(v).encode())


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    route=st.sampled_from(ISSUER_ROUTES),
    body=st.one_of(BODIES, FIELDS),
    value=st.text(alphabet="abcXYZ09_-.:%/ é", min_size=1, max_size=70),
    query=st.dictionaries(
        st.sampled_from(
            ["offset", "limit", "status", "startTime", "endTime", "action", "workspaceBizId"]
        ),
        st.text(max_size=12),
        max_size=3,
    ),
)
async def test_fuzzed_requests_never_fail(
    http: httpx.AsyncClient,
    issuer_api: IssuerApi,
    route: Route,
    body: bytes,
    value: str,
    query: dict[str, str],
) -> None:
    response = await http.request(
        route.method.upper(),
        route.fill(issuer_api.issuer_id, value),
        content=body,
        params=query,
        headers={**issuer_api.headers(), "content-type": "application/json"},
    )
    assert_shaped(response)


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    route=st.sampled_from(REALM_ROUTES),
    form=st.dictionaries(
        st.sampled_from(
            ["grant_type", "client_id", "client_secret", "scope", "refresh_token", "token"]
        ),
        st.text(max_size=40),
        max_size=5,
    ),
    raw=st.binary(max_size=40),
    authorization=st.sampled_from(["", "Basic Og==", "Basic !!", "Bearer x", "Basic " + "A" * 300]),
)
async def test_fuzzed_token_requests_never_fail(
    http: httpx.AsyncClient,
    realm: Realm,
    route: Route,
    form: dict[str, str],
    raw: bytes,
    authorization: str,
) -> None:
    headers = {"authorization": authorization} if authorization else {}
    url = route.path.replace("{realm}", realm.name)
    for response in (
        await http.request(route.method.upper(), url, data=form, headers=headers),
        await http.request(
            route.method.upper(),
            url,
            content=raw,
            headers={**headers, "content-type": "application/x-www-form-urlencoded"},
        ),
    ):
        assert response.status_code in ALLOWED | {429}, (response.status_code, response.text)
        if response.status_code >= 400:
            assert list(response.json()) == ["error", "error_description"]
