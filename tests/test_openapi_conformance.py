"""Every answer of every portal operation matches `/openapi.json`.

Schemathesis generates requests for each operation of both portals from the published document
(valid and invalid ones) and sends them to a real server process (`portico serve`) over the
demo data; each answer must pass its response-conformance checks: a documented status code, the
documented content type, a body valid against the documented schema (the envelope with the
route's `data`, or the error envelope with one of the route's codes), the documented headers, and
never a 500. The requests carry the portal's access code and a live token of the demo account,
and ids in paths and bodies are often real ones, so the answers are not all 401, 403 and 404.

`PORTICO_CONFORMANCE_EXAMPLES` sets the generated requests per operation (default 10).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from portico.accounts.models import Account
from portico.auth.sessions import open_session
from portico.caller import ClientInfo, PortalContext
from portico.config import Settings
from portico.db import Database
from portico.enums import AccountPortal
from portico.flows.demo import DEMO_ACCOUNTS, DEMO_CODES, seed_demo
from portico.institutions.models import Institution
from portico.mail.sender import Mailer
from portico.security.kit import AuthKit
from tests.support.conformance import document
from tests.support.db import make_settings, truncate
from tests.support.servers import running_servers, server_env

EXAMPLES = int(os.environ.get("PORTICO_CONFORMANCE_EXAMPLES") or 10)


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261122,
        "generation": {"max-examples": EXAMPLES, "deterministic": True},
        # The coverage phase sends hundreds of boundary cases per operation: the fuzz test
        # (tests/test_fuzz.py) covers malformed input; here the answers' shapes are the point.
        "phases": {"coverage": {"enabled": False}},
    }
)

# One xdist worker runs the module: its module-scoped fixtures are set up once.
pytestmark = pytest.mark.xdist_group("openapi_conformance")
schema = schemathesis.openapi.from_dict(document(), config=CONFIG).include(path_regex="^/web/v1/")


def common_headers(ctx: Any, response: Any, case: Any) -> None:
    """Every answer: `nosniff`, no framing, no `server` banner."""
    headers = {name.lower(): value for name, value in response.headers.items()}
    assert headers.get("x-content-type-options") == ["nosniff"], headers
    assert headers.get("x-frame-options") == ["DENY"], headers
    assert "server" not in headers, headers


CHECKS = [
    common_headers,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class World:
    url: str
    settings: Settings
    tokens: dict[AccountPortal, str] = field(default_factory=dict)
    workspaces: dict[AccountPortal, str] = field(default_factory=dict)
    # Real ids, by path parameter or body field name, per portal.
    ids: dict[AccountPortal, dict[str, list[str]]] = field(default_factory=dict)

    def headers(self, portal: AccountPortal) -> dict[str, str]:
        return {
            "X-PORTAL-ACCESS-CODE": DEMO_CODES[portal],
            "Authorization": f"Bearer {self.tokens[portal]}",
        }


WORLD: dict[str, World] = {}


def _portal(path: str) -> AccountPortal:
    return AccountPortal.PARTNER if path.startswith("/web/v1/partner/") else AccountPortal.CONSUMER


async def _mint(settings: Settings, portal: AccountPortal) -> tuple[str, str]:
    """A fresh session of the portal's demo account (no password, no mail), and its default
    workspace."""
    database = Database.for_command(settings.resolved_database_url)
    kit = AuthKit.build(settings, database, Mailer(settings))
    try:
        async with database.sessionmaker() as session:
            account = (
                await session.execute(
                    select(Account).where(
                        Account.email == DEMO_ACCOUNTS[portal][0], Account.portal == portal
                    )
                )
            ).scalar_one()

            institution = await session.get(Institution, account.institution_id)
            assert institution is not None
            context = PortalContext(portal, institution.id, institution.biz_id)
            issued = await open_session(
                session,
                kit,
                account=account,
                ctx=context,
                client=ClientInfo("127.0.0.1", "conformance", None, None, None),
            )
            await session.commit()
            return issued.access_token, institution.biz_id
    finally:
        kit.hasher.close()
        await database.dispose()


def _refresh(world: World, portal: AccountPortal) -> None:
    world.tokens[portal], _ = asyncio.run(_mint(world.settings, portal))


def _arrange(world: World, portal: AccountPortal) -> None:
    """Real objects to aim at: a role, an API key, a withdrawal channel, a pending withdrawal
    and recharge, a transfer and an exchange, made through the API itself."""
    prefix = f"{world.url}/web/v1/{portal.value.lower()}"
    transfer = "transfer" if portal == AccountPortal.CONSUMER else "transfers"
    other = DEMO_ACCOUNTS[
        AccountPortal.PARTNER if portal == AccountPortal.CONSUMER else AccountPortal.CONSUMER
    ][0]

    def call(method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method, prefix + path, json=body, headers=world.headers(portal), timeout=30
        )
        assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
        return response.json()["data"]

    wallets = call("GET", "/wallets")
    usd = next(w["bizId"] for w in wallets if w["currency"] == "USD")
    current = call("GET", "/workspaces/current")
    world.workspaces[portal] = current["bizId"]
    roles = [r["bizId"] for r in call("GET", "/roles")]
    custom = call("POST", "/roles", {"roleName": "Conformance", "description": "made here"})
    roles.append(custom["bizId"])
    key = call("POST", "/api-keys", {"name": "conformance", "scopes": ["wallet:read"]})
    channels = [c["bizId"] for c in call("GET", "/recharges/available-channels")]
    usd_channel = next(
        c["bizId"] for c in call("GET", "/recharges/available-channels") if c["currency"] == "USD"
    )
    recharge = call("POST", "/recharges", {"channelBizId": usd_channel, "amount": "10.00"})
    payout = call(
        "POST",
        "/withdrawal-channels",
        {
            "channelType": "BANK_TRANSFER",
            "channelName": "Conformance bank",
            "currency": "USD",
            "accountName": "Ada",
            "accountNumber": "GB00123456781234",
        },
    )
    withdrawal = call(
        "POST",
        "/withdrawals",
        {"walletBizId": usd, "withdrawalChannelBizId": payout["bizId"], "amount": "5.00"},
    )
    sent = call(
        "POST",
        f"/{transfer}/command/create",
        {"fromWalletBizId": usd, "toAccountEmail": other, "amount": "1.00"},
    )
    quote = call(
        "POST", "/exchanges/quote", {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "2"}
    )
    exchange = call("POST", "/exchanges", {"quoteId": quote["quoteId"]})
    wallets = [w["bizId"] for w in call("GET", "/wallets")]
    members = [m["userBizId"] for m in call("GET", "/workspaces/current/members")]
    world.ids[portal] = {
        "roleBizId": roles,
        "roleId": roles,
        "keyBizId": [key["apiKeyId"]],
        "apiKeyId": [key["apiKeyId"]],
        "walletBizId": wallets,
        "fromWalletBizId": wallets,
        "toWalletBizId": wallets,
        "transferBizId": [sent["bizId"]],
        "channelBizId": channels,
        "withdrawalChannelBizId": [payout["bizId"]],
        "userBizId": members,
        "/exchanges/{bizId}": [exchange["bizId"]],
        "/recharges/{bizId}": [recharge["bizId"]],
        "/withdrawals/{bizId}": [withdrawal["bizId"]],
    }


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("conformance")
    settings = make_settings(database_url, tmp)
    asyncio.run(seed_demo(settings))
    env = server_env(settings, tmp / "var", PORTICO_IDEMPOTENCY_PURGE_INTERVAL_SECONDS="0")
    try:
        with running_servers(env, cli=True) as (url,):
            built = World(url=url, settings=settings)
            for portal in AccountPortal:
                _refresh(built, portal)
                _arrange(built, portal)
            WORLD["world"] = built
            yield built
    finally:
        WORLD.clear()
        database = Database.for_command(settings.resolved_database_url)
        asyncio.run(_truncate_and_dispose(database))


async def _truncate_and_dispose(database: Database) -> None:
    await truncate(database)
    await database.dispose()


def _real(context: Any, name: str) -> list[str]:
    world = WORLD.get("world")
    if world is None or context.operation is None:
        return []
    path: str = context.operation.path
    ids = world.ids.get(_portal(path), {})
    if name == "bizId":
        return next((values for key, values in ids.items() if key in path), [])
    return ids.get(name, [])


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half the time, real ids in the path."""
    if not path_parameters:
        return st.just(path_parameters)
    options = {name: _real(context, name) for name in path_parameters}
    if not any(options.values()):
        return st.just(path_parameters)
    real = st.fixed_dictionaries(
        {
            name: st.sampled_from(values) if values else st.just(path_parameters[name])
            for name, values in options.items()
        }
    )
    return st.one_of(st.just(path_parameters), real)


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    """Half the time, real ids in the body's id fields."""
    if not isinstance(body, dict):
        return st.just(body)
    options = {name: _real(context, name) for name in body if isinstance(name, str)}
    options = {name: values for name, values in options.items() if values}
    if not options:
        return st.just(body)
    real = st.fixed_dictionaries(
        {name: st.sampled_from(values) for name, values in options.items()}
    ).map(lambda chosen: {**body, **chosen})
    return st.one_of(st.just(body), real)


@schema.parametrize()
def test_every_answer_conforms(case: Any, world: World) -> None:
    portal = _portal(case.operation.path)
    if case.headers:
        for name in list(case.headers):
            if name.lower() in {"authorization", "x-portal-access-code", "x-workspace-id"}:
                del case.headers[name]
    response = case.call(base_url=world.url, headers=world.headers(portal), timeout=30)
    case.validate_response(response, checks=CHECKS)
    if response.status_code == 401:
        _refresh(world, portal)  # signed out (logout, a session limit): sign in afresh
