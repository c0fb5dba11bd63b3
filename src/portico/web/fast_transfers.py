"""A payment to a wallet on a short path (`POST …/transfer/command/create`, the partner portal's
`…/transfers/command/create`), beside the routes, as `web.fast_reads` serves the hot reads.

On PostgreSQL (not through PgBouncer) `PortalDispatch` offers the request here after the reads.
The body is validated by the route's own model (`TransferCreateIn`), the key and the fingerprint
are the route's (`idempotency.key_of`, `fingerprint_of`), and the caller is checked and the
transfer booked in one database call (`transfers.service.pay_as_caller`, one round trip): the
session row read on every request with the joins of every request's query, the checks the reads
make (`fetch_caller`), the caller an owner (whose role holds `transfer:write`) not awaiting
approval, then the single booking call the route makes (`portico_book_transfer`: the key's
claim, both wallets locked in id order, the checks, the order, the ledger, the stored answer),
on a pooled asyncpg connection outside a transaction, as the route's own session runs it. What
it saves is FastAPI's dependency graph and request parsing, the ORM's loading of the caller,
the session's unit of work, and a round trip.

Only a booked transfer is answered here. Anything else goes on to the routes, with the body read
so far replayed to them, and they answer as they always do: a body that is not JSON or does not
validate, a payment by email, a bad key, a caller the reads would not serve, a member who is not
the owner (the routes check permissions and the owner's state), an owner awaiting the issuer's
approval, a secure-channel request, a key claimed already (a replay), a refusal of the booking
call (which changed nothing: the route books again and refuses with its own error and
metrics), a driver error, SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy.util.concurrency import greenlet_spawn
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from portico.auth.deps import ACTIVITY_RESOLUTION
from portico.db import Database, utcnow
from portico.enums import AccountPortal
from portico.envelope import stored_answer
from portico.errors import AppError
from portico.idempotency.service import fingerprint_of, key_of
from portico.runtime import runtime_of
from portico.transfers import service as transfer_service
from portico.transfers.router import consumer_router, partner_router, payment_of
from portico.transfers.schemas import TransferCreateIn, booked_answer
from portico.transfers.service import Payment
from portico.web.context import portal_of_path, route_path
from portico.web.fast_reads import Caller, claimed_caller, served

CREATE = "/command/create"
# The route below each portal's prefix, and the route object (for the log line and metrics).
_PATHS = {AccountPortal.CONSUMER: "transfer/command/create"}
_PATHS[AccountPortal.PARTNER] = "transfers/command/create"


def _create_route(routes: Sequence[Any]) -> APIRoute:
    return next(r for r in routes if isinstance(r, APIRoute) and r.path.endswith(CREATE))


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that first gives the messages read already."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


async def _read_body(receive: Receive) -> tuple[bytes | None, list[Message]]:
    """The request's body (None when the client went away) and the messages it came in."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), messages


async def _pay(
    database: Database, claimed: Caller, payment: Payment, key: str | None, request_hash: str
) -> tuple[str, bytes | None, str | None] | None:
    """`pay_as_caller` on a pooled connection; None on a driver error (the connection is
    dropped, and the routes run the request again and answer as they do)."""
    raw = await database.engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        try:
            return await transfer_service.pay_as_caller(
                driver,
                session_biz_id=claimed.session_biz_id,
                account_biz_id=claimed.account_biz_id,
                institution_id=claimed.institution_id,
                workspace_biz_id=claimed.workspace_biz_id,
                active_since=utcnow() - ACTIVITY_RESOLUTION,
                payment=payment,
                key=key,
                request_hash=request_hash,
                template=booked_answer,
            )
        except Exception:
            await greenlet_spawn(raw.invalidate)
            return None
    finally:
        await greenlet_spawn(raw.close)


class FastTransfers:
    """Books a payment to a wallet when it plainly succeeds (`answer`); see the module."""

    def __init__(self) -> None:
        self.routes = {
            AccountPortal.CONSUMER: _create_route(consumer_router.routes),
            AccountPortal.PARTNER: _create_route(partner_router.routes),
        }

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answer the request if it is a payment to a wallet and booked (None); else the
        `receive` the routes read the request from, the body read so far replayed."""
        if scope["method"] != "POST":
            return receive
        path = route_path(scope)
        portal = portal_of_path(path)
        if portal is None or path.split("/", 4)[-1] != _PATHS[portal]:
            return receive
        claimed = claimed_caller(scope, portal)
        headers = {} if claimed is None else claimed.headers
        if (
            claimed is None
            or "secure_channel" in headers
            or headers.get("content_type", "").split(";")[0].strip().lower() != "application/json"
        ):
            return receive
        body, messages = await _read_body(receive)
        receive = _replay(messages, receive)
        if body is None:
            return receive
        try:
            payload = TransferCreateIn.model_validate(json.loads(body))
            key = key_of(headers.get("idempotency_key"), payload.client_reference)
        except (ValueError, AppError):  # (a ValidationError is a ValueError)
            return receive
        if payload.to_wallet_biz_id is None:
            return receive
        request_hash = fingerprint_of("POST", Request(scope).url.path.split("/", 4)[-1], payload)
        runtime = runtime_of(scope["app"])
        payment = payment_of(payload)
        async with runtime.booking_slots or nullcontext():
            result = await _pay(runtime.database, claimed, payment, key, request_hash)
        if result is None or result[0] != "BOOKED":
            return receive
        caller = {"account_biz_id": claimed.account_biz_id, "workspace_biz_id": result[2]}
        served(scope, self.routes[portal], caller)
        await stored_answer(result[1] or b"", 201)(scope, receive, send)
        return None


class FastPaths:
    """The short paths in turn: each answers its requests or passes them on."""

    def __init__(self, *paths: Any) -> None:
        self.paths = paths

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        for path in self.paths:
            passed = await path.answer(scope, receive, send)
            if passed is None:
                return None
            receive = passed
        return receive
