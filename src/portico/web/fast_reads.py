"""The signed-in reads most traffic is made of, on a short path: a wallet's balance, the wallet
list and the profile (`GET …/wallets/{walletBizId}/balance`, `GET …/wallets`, `GET …/profile`).

On PostgreSQL (not through PgBouncer: there a statement outside a transaction may reach another
server connection) `PortalDispatch` offers each of these requests here first. The answer is
built with the checks and the view functions the routes use, from two statements compiled once
and run straight on a pooled asyncpg connection: the caller's session, account and membership
(`auth.deps._principal_statement`, the same joins as every request's, as columns), then the
wallet or the wallets (`scoped`, as the wallet service builds them). What it saves is FastAPI's
dependency graph, the ORM's unit of work and result building, and SQLAlchemy's execution path:
most of such a read's cost (`bench/reads.py`).

Only the plain success is answered here. Whenever anything is not plainly so, the request goes
on to the routes, which check everything again and answer as they always do: a portal code
this process has not validated in the last seconds, a token that does not verify, a session
that is revoked, expired, unknown or due for its activity write, an account that is not active
or has an IP whitelist, a missing membership or permission, an unknown wallet, a currency scale
not read yet, a driver error, an overridden dependency (the tests' fixtures), SQLite. So every
refusal is still the routes' own, and the session row is still read on every request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.engine import Dialect
from sqlalchemy.util.concurrency import greenlet_spawn
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from portico.accounts.models import Account
from portico.accounts.router import get_profile
from portico.accounts.router import router as profile_router
from portico.accounts.schemas import ProfileOut
from portico.auth.deps import ACTIVITY_RESOLUTION, WORKSPACE_HEADER, _principal_statement
from portico.db import Database, table_of, utcnow
from portico.enums import AccountPortal, AccountStatus
from portico.envelope import ok
from portico.money import known_scale
from portico.runtime import runtime_of
from portico.security.models import AuthSession
from portico.tenancy import MAX_BIZ_ID, scoped
from portico.wallets.models import Wallet
from portico.wallets.router import get_wallet_balance, list_wallets
from portico.wallets.router import router as wallets_router
from portico.wallets.schemas import WalletBalanceOut, WalletOut
from portico.web.context import portal_of_path, route_path
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole
from portico.workspaces.permissions import permissions_of

# The permission both wallet reads declare (`WalletRead`; a test holds them to it).
WALLET_READ = "wallet:read"
BALANCE, WALLETS, PROFILE = "balance", "wallets", "profile"
ACCOUNT_FIELDS = (
    "biz_id",
    "institution_id",
    "portal",
    "email",
    "phone",
    "name",
    "remark",
    "status",
    "ip_whitelist_enabled",
    "created_at",
    "updated_at",
    "default_language",
    "default_timezone",
    "default_country",
)
_HEADERS = {
    b"x-portal-access-code": "code",
    b"authorization": "authorization",
    WORKSPACE_HEADER.encode(): "workspace",
    b"idempotency-key": "idempotency_key",
    b"content-type": "content_type",
    b"x-sc-session-id": "secure_channel",
}


def _caller_columns() -> list[ColumnElement[Any]]:
    return [
        AuthSession.revoked_at.label("session_revoked_at"),
        AuthSession.expires_at.label("session_expires_at"),
        AuthSession.last_activity_time.label("session_last_activity_time"),
        *(getattr(Account, name).label(f"account_{name}") for name in ACCOUNT_FIELDS),
        WorkspaceMember.id.label("member_id"),
        Workspace.id.label("workspace_id"),
        Workspace.biz_id.label("workspace_biz_id"),
        WorkspaceRole.role_type.label("role_type"),
        WorkspaceRole.permission_codes.label("role_permission_codes"),
        # for `web.fast_transfers`
        Account.id.label("account_row_id"),
        Account.pending_approval.label("account_pending_approval"),
        WorkspaceMember.is_owner.label("member_is_owner"),
        Workspace.kind.label("workspace_kind"),
        Workspace.institution_id.label("workspace_institution_id"),
    ]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who the request says it is: its token's claims and its portal code's institution."""

    session_biz_id: str
    account_biz_id: str
    institution_id: int
    institution_biz_id: str
    workspace_biz_id: str | None
    headers: dict[str, str]


class Prepared:
    """A Core statement compiled once for the driver: its SQL and its parameters in order."""

    def __init__(self, statement: Select[*tuple[Any, ...]], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.names = tuple(compiled.positiontup or ())
        self.defaults = dict(compiled.params)

    def name(self, column: str) -> str:
        """The bound parameter compiled for a comparison with `column`."""
        return next(name for name in self.names if name.startswith(column))

    def args(self, values: dict[str, Any]) -> list[Any]:
        return [values[name] if name in values else self.defaults[name] for name in self.names]


class Statements:
    """The statements of the short path, compiled for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        columns = _caller_columns()
        self.by_default = Prepared(
            _principal_statement(by_workspace_biz_id=False, columns=columns), dialect
        )
        self.by_workspace = Prepared(
            _principal_statement(by_workspace_biz_id=True, columns=columns), dialect
        )
        wallets = table_of(Wallet)
        # As `wallet_service.get_wallet` and `wallet_service.list_wallets` build them.
        self.wallet = Prepared(
            scoped(select(wallets).where(wallets.c.biz_id == ""), Wallet, 0), dialect
        )
        self.wallets = Prepared(scoped(select(wallets).order_by(wallets.c.id), Wallet, 0), dialect)
        self.wallet_biz_id = self.wallet.name("biz_id")
        self.wallet_workspace_id = self.wallet.name("workspace_id")
        self.wallets_workspace_id = self.wallets.name("workspace_id")


def _route(routes: Sequence[Any], endpoint: Any) -> APIRoute:
    return next(r for r in routes if isinstance(r, APIRoute) and r.endpoint is endpoint)


def _read_of(path: str) -> tuple[str, str] | None:
    """Which of the reads `path` (below a portal's prefix) is, with the wallet's bizId."""
    if path == "profile":
        return PROFILE, ""
    if path == "wallets":
        return WALLETS, ""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "wallets" and parts[2] == "balance" and parts[1]:
        return BALANCE, parts[1]
    return None


def _request_headers(scope: Scope) -> dict[str, str] | None:
    """The few headers the reads use; None when one of them comes twice (the routes decide)."""
    found: dict[str, str] = {}
    for key, value in scope["headers"]:
        name = _HEADERS.get(key)
        if name is not None:
            if name in found:
                return None
            found[name] = value.decode("latin-1")
    return found


class FastReads:
    """Answers the three reads when they are plainly successful (`answer`); see the module."""

    def __init__(self) -> None:
        self.routes = {
            BALANCE: _route(wallets_router.routes, get_wallet_balance),
            WALLETS: _route(wallets_router.routes, list_wallets),
            PROFILE: _route(profile_router.routes, get_profile),
        }

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answer the request if it is one of the reads and plainly successful (None); else
        return `receive`, having changed nothing, for the routes to answer it."""
        if scope["method"] != "GET":
            return receive
        path = route_path(scope)
        portal = portal_of_path(path)
        if portal is None:
            return receive
        read = _read_of(path.split("/", 4)[-1])
        if read is None:
            return receive
        claimed = claimed_caller(scope, portal)
        if claimed is None:
            return receive
        response = await self._read(runtime_of(scope["app"]).database, read, claimed, scope)
        if response is None:
            return receive
        await response(scope, receive, send)
        return None

    async def _read(
        self,
        database: Database,
        read: tuple[str, str],
        claimed: Caller,
        scope: Scope,
    ) -> Response | None:
        kind, wallet_biz_id = read
        statements = statements_for(database)
        raw = await database.engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            try:
                caller = await fetch_caller(driver, statements, claimed)
                if caller is None:
                    return None
                if kind == PROFILE:
                    return self._profile(caller, claimed, scope)
                if not holds(caller, WALLET_READ):
                    return None
                workspace_id = caller["workspace_id"]
                if kind == BALANCE:
                    row = await driver.fetchrow(
                        statements.wallet.sql,
                        *statements.wallet.args(
                            {
                                statements.wallet_biz_id: wallet_biz_id[:MAX_BIZ_ID],
                                statements.wallet_workspace_id: workspace_id,
                            }
                        ),
                    )
                    rows = [] if row is None else [row]
                else:
                    rows = await driver.fetch(
                        statements.wallets.sql,
                        *statements.wallets.args({statements.wallets_workspace_id: workspace_id}),
                    )
            except Exception:
                # A driver error: the routes run the request again and answer as they do.
                await greenlet_spawn(raw.invalidate)
                return None
        finally:
            # In a greenlet, as SQLAlchemy's own release: the pool may close the connection.
            await greenlet_spawn(raw.close)
        if kind == BALANCE and not rows:
            return None  # unknown here: the route answers its 404
        wallets = [Wallet(**dict(row)) for row in rows]
        scales = [known_scale(wallet.currency) for wallet in wallets]
        if any(scale is None for scale in scales):
            return None
        self._served(scope, kind, caller)
        if kind == BALANCE:
            return ok(WalletBalanceOut.from_row(wallets[0], scale=scales[0] or 0))
        return ok(
            [
                WalletOut.from_row(
                    wallet, workspace_biz_id=caller["workspace_biz_id"], scale=scale or 0
                )
                for wallet, scale in zip(wallets, scales, strict=True)
            ]
        )

    def _profile(self, caller: Any, claimed: Caller, scope: Scope) -> Response:
        account = Account(**{name: caller[f"account_{name}"] for name in ACCOUNT_FIELDS})
        self._served(scope, PROFILE, caller)
        # The account is of the institution the portal code names (`_plainly_signed_in`).
        return ok(ProfileOut.from_row(account, institution_biz_id=claimed.institution_biz_id))

    def _served(self, scope: Scope, kind: str, caller: Any) -> None:
        served(scope, self.routes[kind], caller)


_STATEMENTS: dict[str, Statements] = {}


def statements_for(database: Database) -> Statements:
    """The short paths' statements, compiled once for the database's dialect."""
    name = database.engine.dialect.name
    statements = _STATEMENTS.get(name)
    if statements is None:
        statements = _STATEMENTS[name] = Statements(database.engine.dialect)
    return statements


def claimed_caller(scope: Scope, portal: AccountPortal) -> Caller | None:
    """Who the request says it is, when a short path may serve it: PostgreSQL outside
    PgBouncer, no overridden dependency, each header at most once, a portal code this process
    validated in the last seconds, a bearer token that verifies for this portal. Else None."""
    app: FastAPI = scope["app"]
    runtime = runtime_of(app)
    database = runtime.database
    if not database.reads_without_transaction or app.dependency_overrides:
        return None
    headers = _request_headers(scope)
    if headers is None or "code" not in headers or "authorization" not in headers:
        return None
    cached = runtime.portal_codes.get(headers["code"])
    if cached is None or cached[0] < time.monotonic() or cached[1].portal != portal:
        return None
    institution_id, institution_biz_id = cached[1].institution_id, cached[1].institution_biz_id
    scheme, _, token = headers["authorization"].partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    claims = runtime.auth_kit.tokens.read_access_token(token.strip())
    if (
        claims is None
        or claims.portal != portal.value
        or claims.institution_biz_id != institution_biz_id
    ):
        return None
    return Caller(
        session_biz_id=claims.session_biz_id,
        account_biz_id=claims.account_biz_id,
        institution_id=institution_id,
        institution_biz_id=institution_biz_id,
        workspace_biz_id=headers.get("workspace"),
        headers=headers,
    )


async def fetch_caller(driver: Any, statements: Statements, claimed: Caller) -> Any:
    """The caller's session, account and membership (`get_principal`'s query) when the caller
    is plainly signed in (`_plainly_signed_in`); else None."""
    if claimed.workspace_biz_id:
        caller = await driver.fetchrow(
            statements.by_workspace.sql,
            *statements.by_workspace.args(
                {
                    "session_biz_id": claimed.session_biz_id,
                    "workspace_biz_id": claimed.workspace_biz_id[:MAX_BIZ_ID],
                }
            ),
        )
    else:
        caller = await driver.fetchrow(
            statements.by_default.sql,
            *statements.by_default.args({"session_biz_id": claimed.session_biz_id}),
        )
    if caller is None or not _plainly_signed_in(caller, claimed):
        return None
    return caller


def holds(caller: Any, permission: str) -> bool:
    """Whether the caller is a member of the workspace whose role grants `permission`."""
    return caller["member_id"] is not None and permission in permissions_of(
        caller["role_type"], _codes(caller["role_permission_codes"])
    )


def served(scope: Scope, route: APIRoute, caller: Any) -> None:
    """What the routes leave for the access log line and the metrics: the route, the caller."""
    scope["route"] = route
    state = scope.setdefault("state", {})
    state["account_id"] = caller["account_biz_id"]
    state["workspace_id"] = caller["workspace_biz_id"]


def _codes(value: Any) -> list[str]:
    decoded = json.loads(value) if isinstance(value, str) else value
    return [str(code) for code in decoded or []]


def _plainly_signed_in(caller: Any, claimed: Caller) -> bool:
    """`get_principal`'s checks passed, with nothing for it to do (no IP whitelist to check, no
    activity time to write)."""
    now = utcnow()
    return bool(
        caller["session_revoked_at"] is None
        and caller["session_expires_at"] > now
        and caller["account_biz_id"] == claimed.account_biz_id
        and caller["account_institution_id"] == claimed.institution_id
        and now - caller["session_last_activity_time"] <= ACTIVITY_RESOLUTION
        and caller["account_status"] == AccountStatus.ACTIVE.value
        and not caller["account_ip_whitelist_enabled"]
    )
