"""`Idempotency-Key` (or the body's `clientReference`) for every money-moving POST.

The key is claimed with an insert that skips on conflict, in the request's own transaction:

- the first request claims it, runs, and stores its answer before committing;
- a concurrent request with the same key waits on the claim (PostgreSQL's unique index, or
  SQLite's single writer) and then replays the stored answer;
- the same key with a different body is `409 REQUEST.IDEMPOTENCY_CONFLICT`;
- a refused attempt rolls back with its transaction, so it does not burn the key.

Keys are kept `RETENTION` (7 days); an expired key is claimed afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from portico.db import Database, affected_rows, table_of, utcnow
from portico.errors import AppError, InvalidParameter
from portico.idempotency.errors import IdempotencyConflict
from portico.idempotency.models import IdempotencyRecord
from portico.ops import metrics
from portico.tenancy import across_workspaces, scoped

logger = logging.getLogger("portico.idempotency")
RETENTION = timedelta(days=7)
MAX_KEY_LENGTH = 200
HEADER = "Idempotency-Key"
# (key, request hash) -> the answer, claimed and stored by the callee; None: not done.
Book = Callable[[str | None, str], Awaitable[Response | None]]


def idempotency_key(request: Request, client_reference: str | None = None) -> str | None:
    """The request's key: the header, else the body's `clientReference`."""
    return key_of(request.headers.get(HEADER), client_reference)


def key_of(header: str | None, client_reference: str | None) -> str | None:
    """The key of a request with this `Idempotency-Key` header and `clientReference`."""
    key = header if header is not None else client_reference
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidParameter("Idempotency-Key" if header is not None else "clientReference")
    return key


def fingerprint(request: Request, body: BaseModel | None) -> str:
    """The route (without the portal prefix) and the validated body, canonically."""
    return fingerprint_of(request.method, request.url.path.split("/", 4)[-1], body)


def fingerprint_of(method: str, route: str, body: BaseModel | None) -> str:
    """`fingerprint` of a request to `route` (below the portal prefix)."""
    payload: Any = body.model_dump(mode="json") if body is not None else None
    text = json.dumps([method, route, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def run_once(
    session: AsyncSession,
    *,
    workspace_id: int,
    account_id: int,
    key: str | None,
    request_hash: str,
    action: Callable[[], Awaitable[Response]],
    operation: str = "other",
    book: Book | None = None,
) -> Response:
    """Run `action` once per key; replay its stored answer for the same key and body.

    `book`, when given, is tried first: it claims the key, acts and stores its answer itself
    (in one database call), or answers None to leave the request to `action` (a key claimed
    already is then replayed as usual). Replays and refusals (by error code) are counted for
    `/metrics` under `operation`."""
    try:
        response = await book(key, request_hash) if book is not None else None
        if response is None:
            response = await _run_once(
                session,
                workspace_id=workspace_id,
                account_id=account_id,
                key=key,
                request_hash=request_hash,
                action=action,
            )
    except AppError as exc:
        metrics.MONEY_REFUSED.labels(operation, exc.code).inc()
        raise
    if response.headers.get("Idempotent-Replayed"):
        metrics.IDEMPOTENT_REPLAYS.labels(operation).inc()
    return response


# The metrics' `operation` label, from the route's first segment after the portal.
_OPERATIONS = {
    "transfer": "transfer",
    "transfers": "transfer",
    "exchanges": "exchange",
    "recharges": "recharge",
    "withdrawals": "withdrawal",
}


def money_operation(path: str) -> str:
    parts = path.split("/")
    return _OPERATIONS.get(parts[4] if len(parts) > 4 else "", "other")


async def _run_once(
    session: AsyncSession,
    *,
    workspace_id: int,
    account_id: int,
    key: str | None,
    request_hash: str,
    action: Callable[[], Awaitable[Response]],
) -> Response:
    if key is None:
        return await action()
    now = utcnow()
    claim = _CLAIM[session.get_bind().dialect.name]
    values = {
        "workspace_id": workspace_id,
        "account_id": account_id,
        "idempotency_key": key,
        "request_hash": request_hash,
        "created_at": now,
        "expires_at": now + RETENTION,
    }
    claimed = (await session.execute(claim, values)).scalar_one_or_none()
    if claimed is None:
        statement = select(IdempotencyRecord).where(
            IdempotencyRecord.account_id == account_id,
            IdempotencyRecord.idempotency_key == key,
        )
        record = (
            await session.execute(
                scoped(statement, IdempotencyRecord, workspace_id).execution_options(
                    populate_existing=True
                )
            )
        ).scalar_one()
        if record.expires_at <= now:
            record.request_hash, record.created_at = request_hash, now
            record.expires_at, record.status_code, record.response_body = (
                now + RETENTION,
                None,
                None,
            )
            await session.flush()
            claimed = record.id
        elif record.request_hash != request_hash or record.response_body is None:
            raise IdempotencyConflict()
        else:
            return Response(
                content=record.response_body,
                status_code=record.status_code or 200,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
    response = await action()
    await session.execute(
        _STORE,
        {
            "p_id": claimed,
            "p_workspace_id": workspace_id,
            "p_status_code": response.status_code,
            "p_response_body": bytes(response.body),
        },
    )
    return response


# Built once: these run on every money-moving request.
_RECORDS = table_of(IdempotencyRecord)
_CLAIM = {
    name: insert(_RECORDS)
    .on_conflict_do_nothing(index_elements=["workspace_id", "account_id", "idempotency_key"])
    .returning(_RECORDS.c.id)
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_STORE = across_workspaces(
    update(_RECORDS)
    .where(
        _RECORDS.c.id == bindparam("p_id"),
        _RECORDS.c.workspace_id == bindparam("p_workspace_id"),
    )
    .values(status_code=bindparam("p_status_code"), response_body=bindparam("p_response_body")),
    "the request's own claimed key (by id, in its workspace)",
)


async def respond_once(
    session: AsyncSession,
    request: Request,
    *,
    workspace_id: int,
    account_id: int,
    body: BaseModel,
    action: Callable[[], Awaitable[Response]],
    client_reference: str | None = None,
    book: Book | None = None,
) -> Response:
    """`run_once` for a money-moving route: the caller's key, fingerprinted with the body."""
    return await run_once(
        session,
        workspace_id=workspace_id,
        account_id=account_id,
        key=idempotency_key(request, client_reference),
        request_hash=fingerprint(request, body),
        action=action,
        operation=money_operation(request.url.path),
        book=book,
    )


PURGE_BATCH = 5000


async def purge_expired(database: Database, *, batch: int = PURGE_BATCH) -> int:
    """Delete the records past their retention, `batch` rows per short transaction (a large
    backlog never holds locks for long); returns how many."""
    deleted = 0
    while True:
        async with database.transaction() as session:
            expired = (
                select(IdempotencyRecord.id)
                .where(IdempotencyRecord.expires_at <= utcnow())
                .limit(batch)
            )
            result = await session.execute(
                across_workspaces(
                    delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(expired)),
                    "retention sweep",
                ).execution_options(synchronize_session=False)
            )
        count = affected_rows(result)
        deleted += count
        if count < batch:
            return deleted
