"""Money under concurrency: many clients moving money at once, then the books are checked.

On PostgreSQL (`PORTICO_TEST_DATABASE_URL`): `PORTICO_STRESS_OPS` (20,000 by default) random
transfers and exchanges from 32 concurrent clients against two real API processes, over 2, 10
and 1,000 accounts in turn; 10% of the requests are replays with the same idempotency key, and a
few client connections are dropped mid-request (their keys are replayed at the end). On SQLite
a smaller run goes through the in-process app. Afterwards the ledger verifies, no balance is
negative, every key maps to at most one order, and every dropped request either executed once
or not at all.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.auth.sessions import open_session
from portico.caller import ClientInfo, PortalContext
from portico.config import Settings
from portico.db import Database
from portico.enums import AccountPortal
from portico.exchanges.models import Exchange
from portico.idempotency.models import IdempotencyRecord
from portico.ledger import service as ledger
from portico.runtime import runtime_of
from portico.transfers.models import TransferOrder
from portico.wallets.models import Wallet
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes
from tests.factories.money import fund_wallet, set_rate
from tests.factories.workspaces import owned_workspace
from tests.support.db import PG_URL

ON_PG = bool(PG_URL)
OPS = int(os.environ.get("PORTICO_STRESS_OPS", "20000" if ON_PG else "600"))
CLIENTS = 32 if ON_PG else 8
GROUPS = (2, 10, 1000) if ON_PG else (2, 10, 40)
REPLAY_SHARE = 0.10
EXCHANGE_SHARE = 0.2
DROP_EVERY = 997  # a dropped connection every ~1000 operations (real servers only)
PREFIX = "/web/v1/consumer"
ALLOWED_REFUSALS = {"WALLET.INSUFFICIENT_BALANCE"}


@dataclass
class Party:
    email: str
    token: str
    usd: str


@dataclass
class Sent:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    content: bytes


@dataclass
class Tally:
    statuses: Counter[str] = field(default_factory=Counter)
    transfer_keys: set[str] = field(default_factory=set)
    exchange_keys: set[str] = field(default_factory=set)
    dropped: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    successes: list[Sent] = field(default_factory=list)
    replays: int = 0
    operations: int = 0


async def _seed(
    session: AsyncSession, database: Database, app: Any, institution: InstitutionCodes, count: int
) -> list[Party]:
    """`count` consumer accounts with 1,000.00 USD and EUR each, and a session token each."""
    accounts = []
    for n in range(count):
        account = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=AccountPortal.CONSUMER,
            email=f"user{n}@example.com",
        )
        workspace = await owned_workspace(session, owner=account)
        usd = await fund_wallet(session, workspace=workspace, currency="USD", amount="1000")
        await fund_wallet(session, workspace=workspace, currency="EUR", amount="1000")
        accounts.append((account.id, account.email, usd.biz_id))
    await set_rate(
        session, institution_id=institution.institution_id, base="USD", quote="EUR", rate="0.9"
    )
    await session.commit()
    ctx = PortalContext(AccountPortal.CONSUMER, institution.institution_id, institution.biz_id)
    client = ClientInfo("127.0.0.1", "stress", None, None, None)
    parties = []
    async with database.sessionmaker() as s:
        for account_id, email_address, usd_biz_id in accounts:
            account = await s.get(Account, account_id)
            assert account is not None
            issued = await open_session(
                s, runtime_of(app).auth_kit, account=account, ctx=ctx, client=client
            )
            parties.append(Party(email_address, issued.access_token, usd_biz_id))
        await s.commit()
    return parties


def _headers(party: Party, code: str, key: str | None = None) -> dict[str, str]:
    headers = {"X-PORTAL-ACCESS-CODE": code, "Authorization": f"Bearer {party.token}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def _amount(rng: random.Random) -> str:
    return str(Decimal(rng.randint(10, 500)) / 100)


async def _drop(base_url: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    """Send the whole request and hang up without reading the answer."""
    parts = urlsplit(base_url)
    payload = json.dumps(body).encode()
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.hostname}", "Content-Type: application/json"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append(f"Content-Length: {len(payload)}")
    raw = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
    _, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.transport.set_write_buffer_limits(0)
    writer.write(raw)
    await writer.drain()
    sock = writer.get_extra_info("socket")
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    writer.close()


async def _run(
    clients: list[httpx.AsyncClient],
    base_urls: list[str],
    parties: list[Party],
    code: str,
    tally: Tally,
    ops: int,
    seed: int,
) -> None:
    counter = iter(range(ops))

    async def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        http = clients[index % len(clients)]
        for n in counter:
            key = f"{seed}-{n}"
            if tally.successes and rng.random() < REPLAY_SHARE:
                sent = rng.choice(tally.successes)
                again = await http.post(sent.path, json=sent.body, headers=sent.headers)
                assert again.status_code == sent.status, again.text
                assert again.content == sent.content
                tally.replays += 1
            payer, payee = rng.sample(parties, 2)
            if rng.random() < EXCHANGE_SHARE:
                pair = ("USD", "EUR") if rng.random() < 0.5 else ("EUR", "USD")
                quote = await http.post(
                    f"{PREFIX}/exchanges/quote",
                    json={"fromCurrency": pair[0], "toCurrency": pair[1], "amount": _amount(rng)},
                    headers=_headers(payer, code),
                )
                assert quote.status_code == 200, quote.text
                path = f"{PREFIX}/exchanges"
                body: dict[str, Any] = {"quoteId": quote.json()["data"]["quoteId"]}
                headers = _headers(payer, code, f"x-{key}")
                keys = tally.exchange_keys
            else:
                path = f"{PREFIX}/transfer/command/create"
                body = {
                    "fromWalletBizId": payer.usd,
                    "amount": _amount(rng),
                    "clientReference": key,
                }
                if rng.random() < 0.5:
                    body["toWalletBizId"] = payee.usd
                else:
                    body["toAccountEmail"] = payee.email
                headers = _headers(payer, code)
                keys = tally.transfer_keys
            tally.operations += 1
            if base_urls and n % DROP_EVERY == DROP_EVERY // 2:
                await _drop(base_urls[index % len(base_urls)], path, body, headers)
                tally.dropped.append((path, body, headers))
                continue
            response = await http.post(path, json=body, headers=headers)
            envelope = response.json()
            tally.statuses[f"{response.status_code} {envelope['code']}"] += 1
            if response.status_code == 201:
                keys.add(key)
                tally.successes.append(Sent(path, body, headers, 201, response.content))
            else:
                assert response.status_code == 400, response.text
                assert envelope["code"] in ALLOWED_REFUSALS, response.text

    await asyncio.gather(*(worker(i) for i in range(CLIENTS)))


async def test_random_money_moves_keep_the_books(
    app: Any,
    settings: Settings,
    database: Database,
    session: AsyncSession,
    institution: InstitutionCodes,
    request: pytest.FixtureRequest,
) -> None:
    started = time.monotonic()
    parties = await _seed(session, database, app, institution, max(GROUPS))
    seeded = time.monotonic()
    tally = Tally()
    # A pooled connection idle for uvicorn's keep-alive timeout (5 s) is closed by the server;
    # reusing it at that very moment is a reset. httpx also expires idle connections at 5 s, so
    # expire them well before the server does (as any client of a keep-alive server should).
    limits = httpx.Limits(
        max_connections=CLIENTS, max_keepalive_connections=CLIENTS, keepalive_expiry=2.0
    )
    if ON_PG:
        base_urls: list[str] = request.getfixturevalue("servers")
        clients = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits) for url in base_urls]
    else:
        base_urls = []
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        clients = [httpx.AsyncClient(transport=transport, base_url="http://portico.test")]
    try:
        for phase, size in enumerate(GROUPS):
            share = OPS // len(GROUPS)
            await _run(
                clients, base_urls, parties[:size], institution.consumer, tally, share, phase
            )
        # a dropped request ran once or not at all: its key now answers (replay or first run)
        for path, body, headers in tally.dropped:
            response = await clients[0].post(path, json=body, headers=headers)
            assert response.status_code in (201, 400), response.text
            if response.status_code == 201:
                key = body.get("clientReference") or headers["Idempotency-Key"].removeprefix("x-")
                target = tally.transfer_keys if "clientReference" in body else tally.exchange_keys
                target.add(str(key))
    finally:
        for client in clients:
            await client.aclose()

    ran = time.monotonic()
    assert tally.operations >= OPS - len(GROUPS), tally
    assert tally.replays > 0 and (not ON_PG or tally.dropped)
    assert await ledger.verify(session) == []
    lowest = await session.scalar(select(func.min(Wallet.available)))
    assert lowest is not None and lowest >= 0
    # every key maps to exactly one order, and every order to a key that succeeded
    duplicates = await session.execute(
        select(TransferOrder.client_reference)
        .group_by(TransferOrder.client_reference)
        .having(func.count() > 1)
    )
    assert duplicates.all() == []
    references = set((await session.execute(select(TransferOrder.client_reference))).scalars())
    assert references == tally.transfer_keys
    exchanges = await session.scalar(select(func.count()).select_from(Exchange))
    assert exchanges == len(tally.exchange_keys)
    unanswered = await session.scalar(
        select(func.count())
        .select_from(IdempotencyRecord)
        .where(IdempotencyRecord.response_body.is_(None))
    )
    assert unanswered == 0
    print(
        f"stress: {tally.operations} operations, {tally.replays} replays, "
        f"{len(tally.dropped)} dropped, {dict(tally.statuses)}; seed {seeded - started:.1f}s, "
        f"run {ran - seeded:.1f}s ({tally.operations / (ran - seeded):.0f} operations/s), "
        f"checks {time.monotonic() - ran:.1f}s"
    )
