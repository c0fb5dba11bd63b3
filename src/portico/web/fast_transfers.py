"""A payment to a wallet on a short path (`POST …/transfer/command/create`, the partner portal's
`…/transfers/command/create`), beside the routes, as `web.fast_reads` serves the hot reads.

On PostgreSQL (not through PgBouncer) `PortalDispatch` offers the request here after the reads.
The body is validated by the route's own model (`TransferCreateIn`), the key and the fingerprint
are the route's (`idempotency.key_of`, `fingerprint_of`), the caller is read and checked as the
reads do (`fetch_caller`: the session row on every request), the permission is the route's
(`transfer:write`), and the transfer is booked by the same single call the route makes
(`transfers.service.book_on`: the key's claim, both wallets locked in id order, the checks, the
order, the ledger, the stored answer), on a pooled asyncpg connection outside a transaction, as
the route's own session runs it. What it saves is FastAPI's dependency graph and request
parsing, the ORM's loading of the caller, and the session's unit of work.

Only a booked transfer is answered here. Anything else goes on to the routes, with the body read
so far replayed to them, and they answer as they always do: a body that is not JSON or does not
validate, a payment by email, a bad key, a caller the reads would not serve, a member without
`transfer:write`, a caller who does not own the workspace or awaits the issuer's approval (the
routes check the owner's state), a secure-channel request, a key claimed already (a replay), a
refusal of the booking call (which changed nothing: the route books again and refuses with its
own error and metrics), a driver error, SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy.util.concurrency import greenlet_spawn
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from portico.db import Database
from portico.enums import AccountPortal, RoleType
from portico.errors import AppError
from portico.idempotency.service import fingerprint_of, key_of
from portico.runtime import runtime_of
from portico.transfers import service as transfer_service
from portico.transfers.router import consumer_router, partner_router, payment_of
from portico.transfers.schemas import TransferCreateIn
from portico.web.context import portal_of_path, route_path
from portico.web.fast_reads import claimed_caller, fetch_caller, holds, served, statements_for

TRANSFER_WRITE = "transfer:write"
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
        database: Database = runtime_of(scope["app"]).database
        raw = await database.engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            try:
                caller = await fetch_caller(driver, statements_for(database), claimed)
                if (
                    caller is None
                    or not holds(caller, TRANSFER_WRITE)
                    or caller["account_pending_approval"]
                    or not (caller["role_type"] == RoleType.OWNER or caller["member_is_owner"])
                ):
                    return receive
                result = await transfer_service.book_on(
                    driver,
                    payer=transfer_service.Payer(
                        institution_id=caller["workspace_institution_id"],
                        workspace_id=caller["workspace_id"],
                        workspace_kind=str(caller["workspace_kind"]),
                        workspace_biz_id=caller["workspace_biz_id"],
                        account_id=caller["account_row_id"],
                        account_biz_id=caller["account_biz_id"],
                    ),
                    payment=payment_of(payload),
                    key=key,
                    request_hash=request_hash,
                )
            except Exception:
                # A driver error: the routes run the request again and answer as they do.
                await greenlet_spawn(raw.invalidate)
                return receive
        finally:
            await greenlet_spawn(raw.close)
        if result is None or result[0] != "BOOKED":
            return receive
        served(scope, self.routes[portal], caller)
        await transfer_service.booked(result[1])(scope, receive, send)
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
