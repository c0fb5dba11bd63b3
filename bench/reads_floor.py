"""The floor of `bench/reads.py`: the signed-in reads with Portico's SQL, straight through asyncpg.

One FastAPI route answers the three reads (`GET …/wallets/{id}/balance`, `…/wallets`,
`…/profile`) the way a hand-written service would: check the access token (the same HS256 JWT,
the same secret), read the session row with the statement Portico runs on every request
(`portico.auth.deps._BY_DEFAULT`, compiled for asyncpg: the session, its account and its
default membership, workspace and role), refuse a revoked or expired session, run the route's
own statement (also compiled from Portico's query code), and write the same envelope with
`json.dumps`. What it leaves out is what `bench/reads.py` measures as Portico's own cost: the
middleware, FastAPI's dependency graph and response models, the ORM's objects and unit of work,
and the `BEGIN`/`COMMIT` around each request's statements (a read needs no transaction: at READ
COMMITTED every statement has its own snapshot either way). Currency scales are read once, as
Portico caches them too. `/healthz` is the one-route FastAPI app the issue compares with.

Configured by the environment (set by `bench/reads.py`): READS_FLOOR_DSN (a plain
`postgresql://` URL), READS_FLOOR_SECRET (the server's signing secret), READS_FLOOR_ISSUER,
READS_FLOOR_POOL_SIZE.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import jwt
from fastapi import FastAPI, Request
from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql
from starlette.responses import Response

from portico.auth.deps import _BY_DEFAULT
from portico.enums import AccountPortal, AccountStatus, WalletStatus, WalletType
from portico.institutions.models import Institution
from portico.money import to_wire
from portico.tenancy import MAX_BIZ_ID, scoped
from portico.wallets.models import Wallet

PREFIX = "/web/v1/consumer"
DIALECT = postgresql.asyncpg.dialect()  # type: ignore[attr-defined]


class Compiled:
    """A Portico statement as asyncpg runs it: its SQL text and its parameters' order."""

    def __init__(self, statement: Select[Any]) -> None:
        compiled = statement.compile(dialect=DIALECT)
        self.sql = str(compiled)
        self.names = list(compiled.positiontup or ())
        self.defaults = dict(compiled.params)

    def args(self, **values: Any) -> list[Any]:
        given = {**self.defaults, **values}
        return [given[name] for name in self.names]


PRINCIPAL = Compiled(_BY_DEFAULT)
# The route statements, built as Portico's services build them (the values are placeholders,
# replaced by name at each request).
WALLET = Compiled(
    scoped(select(Wallet).where(Wallet.biz_id == "x"), Wallet, 0)  # get_in_workspace
)
WALLETS = Compiled(scoped(select(Wallet).order_by(Wallet.id), Wallet, 0))  # list_wallets
INSTITUTION = Compiled(select(Institution).where(Institution.id == 0))  # session.get


def _name(compiled: Compiled, column: str) -> str:
    return next(name for name in compiled.names if name.startswith(column))


WALLET_BIZ, WALLET_WS = _name(WALLET, "biz_id"), _name(WALLET, "workspace_id")
WALLETS_WS = _name(WALLETS, "workspace_id")
INSTITUTION_ID = _name(INSTITUTION, "id")
SECRET = os.environ.get("READS_FLOOR_SECRET", "").encode()
ISSUER = os.environ.get("READS_FLOOR_ISSUER", "portico")
scales: dict[str, int] = {}
state: dict[str, asyncpg.Pool] = {}


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    size = int(os.environ.get("READS_FLOOR_POOL_SIZE", "8"))
    pool = await asyncpg.create_pool(os.environ["READS_FLOOR_DSN"], min_size=2, max_size=size)
    scales.update(dict(await pool.fetch("SELECT code, scale FROM currencies")))
    state["pool"] = pool
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _answer(status: int, code: str, message: str, data: Any) -> Response:
    body = {
        "version": "2.0.0",
        "timestamp": int(time.time() * 1000),
        "success": status < 400,
        "code": code,
        "message": message,
        "data": data,
    }
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status_code=status, media_type="application/json")


def _refused() -> Response:
    return _answer(401, "AUTH.TOKEN_INVALID", "Invalid token", None)


def _wallet(row: asyncpg.Record, workspace_biz_id: str) -> dict[str, Any]:
    scale = scales[row["currency"]]
    return {
        "bizId": row["biz_id"],
        "workspaceBizId": workspace_biz_id,
        "walletName": row["name"],
        "currency": row["currency"],
        "walletType": WalletType(row["wallet_type"]).to_wire(),
        "walletStatus": WalletStatus(row["status"]).to_wire(),
        "availableBalance": to_wire(row["available"], scale),
        "frozenBalance": to_wire(row["frozen"], scale),
        "totalBalance": to_wire(row["available"] + row["frozen"], scale),
        "createdAt": _when(row["created_at"]),
        "updatedAt": _when(row["updated_at"]),
    }


@app.get(PREFIX + "/{rest:path}")
async def read(rest: str, request: Request) -> Response:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return _refused()
    try:
        claims = jwt.decode(
            token,
            SECRET,
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid"]},
        )
    except jwt.PyJWTError:
        return _refused()
    async with state["pool"].acquire() as connection:
        caller = await connection.fetchrow(
            PRINCIPAL.sql, *PRINCIPAL.args(session_biz_id=claims["sid"])
        )
        # The columns of one query's five tables: by position, as the ORM reads them.
        if (
            caller is None
            or caller["revoked_at"] is not None
            or caller["expires_at"] <= datetime.now(UTC)
            or caller["biz_id_1"] != claims["sub"]
            or caller["status"] != AccountStatus.ACTIVE.value
        ):
            return _refused()
        workspace_id, workspace_biz_id = caller["id_3"], caller["biz_id_2"]
        if rest == "profile":
            institution = await connection.fetchrow(
                INSTITUTION.sql, *INSTITUTION.args(**{INSTITUTION_ID: caller["institution_id"]})
            )
            return _answer(
                200,
                "2000",
                "Success",
                {
                    "bizId": caller["biz_id_1"],
                    "institutionBizId": institution["biz_id"],
                    "accountEmail": caller["email"],
                    "accountPhone": caller["phone"],
                    "accountName": caller["name"],
                    "accountRemark": caller["remark"],
                    "accountPortal": AccountPortal(caller["portal"]).to_wire(),
                    "accountStatus": AccountStatus(caller["status"]).to_wire(),
                    "createdAt": _when(caller["created_at"]),
                    "updatedAt": _when(caller["updated_at"]),
                    "defaultLanguage": caller["default_language"],
                    "defaultTimezone": caller["default_timezone"],
                    "defaultCountry": caller["default_country"],
                },
            )
        if rest == "wallets":
            rows = await connection.fetch(WALLETS.sql, *WALLETS.args(**{WALLETS_WS: workspace_id}))
            return _answer(200, "2000", "Success", [_wallet(r, workspace_biz_id) for r in rows])
        parts = rest.split("/")
        if len(parts) == 3 and parts[0] == "wallets" and parts[2] == "balance":
            row = await connection.fetchrow(
                WALLET.sql,
                *WALLET.args(**{WALLET_BIZ: parts[1][:MAX_BIZ_ID], WALLET_WS: workspace_id}),
            )
            if row is None:
                return _answer(404, "RESOURCE.NOT_FOUND", "Resource not found", None)
            scale = scales[row["currency"]]
            return _answer(
                200,
                "2000",
                "Success",
                {
                    "walletBizId": row["biz_id"],
                    "currency": row["currency"],
                    "availableBalance": to_wire(row["available"], scale),
                    "frozenBalance": to_wire(row["frozen"], scale),
                    "totalBalance": to_wire(row["available"] + row["frozen"], scale),
                    "updatedAt": _when(row["updated_at"]),
                },
            )
    return _answer(404, "RESOURCE.NOT_FOUND", "Resource not found", None)
