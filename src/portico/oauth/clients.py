"""The token endpoint's clients: partner API keys (`sk_live_…`/`sk_test_…`) and issuer
clients (`ic_…`), their authentication and the per-request check of their state."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.api_keys import service as api_key_service
from portico.api_keys.models import ApiKey
from portico.db import utcnow
from portico.enums import AccountStatus, WorkspaceStatus
from portico.errors import InvalidParameter, NotFound
from portico.oauth.models import IssuerClient, TokenFamily
from portico.oauth.scopes import ISSUER_SCOPES
from portico.security.kit import AuthKit
from portico.security.tokens import TokenService
from portico.tenancy import across_workspaces
from portico.workspaces.models import Workspace, WorkspaceMember

API_KEY = "API_KEY"
ISSUER_CLIENT = "ISSUER_CLIENT"
ACTIVE = "ACTIVE"
REVOKED = "REVOKED"
ISSUER_CLIENT_PREFIX = "ic_"
API_KEY_PREFIXES = ("sk_live_", "sk_test_")
MAX_CLIENT_ID = 40  # the columns' width: a longer id is never a client


@dataclass(frozen=True, slots=True)
class Client:
    """An authenticated (or re-checked) client and the scopes it holds right now."""

    client_type: str
    client_id: str
    institution_id: int
    scopes: tuple[str, ...]
    issuer_client: IssuerClient | None = None
    api_key: ApiKey | None = None


def client_type_of(client_id: str) -> str | None:
    if client_id.startswith(ISSUER_CLIENT_PREFIX):
        return ISSUER_CLIENT
    if client_id.startswith(API_KEY_PREFIXES):
        return API_KEY
    return None


# --- issuer clients: `portico issuer create-client` / `list-clients` / `revoke-client` -------


async def create_issuer_client(
    session: AsyncSession,
    tokens: TokenService,
    *,
    institution_id: int,
    name: str,
    scopes: Sequence[str] | None = None,
    client_id: str | None = None,
    secret: str | None = None,
) -> tuple[IssuerClient, str]:
    """A new ACTIVE issuer client and its secret (shown once, stored as a keyed digest);
    every issuer scope unless `scopes` names fewer. The id and secret are random unless given
    (the demo data's documented client)."""
    granted = list(ISSUER_SCOPES) if not scopes else list(dict.fromkeys(scopes))
    if any(scope not in ISSUER_SCOPES for scope in granted) or not name.strip():
        raise InvalidParameter()
    client_id = client_id or ISSUER_CLIENT_PREFIX + secrets.token_hex(10)
    if not client_id.startswith(ISSUER_CLIENT_PREFIX) or len(client_id) > MAX_CLIENT_ID:
        raise InvalidParameter()
    secret = secret or secrets.token_urlsafe(32)
    client = IssuerClient(
        client_id=client_id,
        institution_id=institution_id,
        name=name.strip()[:100],
        secret_hash=tokens.digest(secret),
        scopes=[scope for scope in ISSUER_SCOPES if scope in granted],
        status=ACTIVE,
        created_at=utcnow(),
    )
    session.add(client)
    await session.flush()
    return client, secret


async def list_issuer_clients(session: AsyncSession, *, institution_id: int) -> list[IssuerClient]:
    rows = await session.execute(
        select(IssuerClient)
        .where(IssuerClient.institution_id == institution_id)
        .order_by(IssuerClient.id)
    )
    return list(rows.scalars())


async def revoke_issuer_client(session: AsyncSession, *, client_id: str) -> IssuerClient:
    """Revoke a client: its tokens fail on their next use, its refresh tokens at once."""
    client = (
        await session.execute(
            select(IssuerClient).where(IssuerClient.client_id == client_id[:MAX_CLIENT_ID])
        )
    ).scalar_one_or_none()
    if client is None:
        raise NotFound()
    now = utcnow()
    if client.status != REVOKED:
        client.status, client.revoked_at = REVOKED, now
    await revoke_families(session, client_id=client.client_id, reason="CLIENT_REVOKED")
    await session.flush()
    return client


async def revoke_families(session: AsyncSession, *, client_id: str, reason: str) -> None:
    await session.execute(
        update(TokenFamily)
        .where(TokenFamily.client_id == client_id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason=reason)
        .execution_options(synchronize_session=False)
    )


# --- authentication and the per-request check ------------------------------------------------


async def _issuer_client(
    session: AsyncSession, *, client_id: str, institution_id: int
) -> IssuerClient | None:
    client = (
        await session.execute(select(IssuerClient).where(IssuerClient.client_id == client_id))
    ).scalar_one_or_none()
    if client is None or client.status != ACTIVE or client.institution_id != institution_id:
        return None
    return client


_API_KEY_HOLDER = across_workspaces(
    select(ApiKey, Workspace, Account)
    .join(Workspace, Workspace.id == ApiKey.workspace_id)
    .join(
        WorkspaceMember,
        (WorkspaceMember.workspace_id == Workspace.id) & WorkspaceMember.is_owner.is_(True),
    )
    .join(Account, Account.id == WorkspaceMember.account_id),
    "an API key, its workspace and the workspace's owner, by key id",
)


def _holder_allows(workspace: Workspace, owner: Account, institution_id: int) -> bool:
    """A key acts for a live workspace of the institution whose owner is ACTIVE and approved
    (a pending partner holds no usable keys; a suspended or deleted holder none at all)."""
    return (
        workspace.institution_id == institution_id
        and workspace.status == WorkspaceStatus.ACTIVE
        and owner.status == AccountStatus.ACTIVE
        and not owner.pending_approval
    )


async def _live_api_key(
    session: AsyncSession, *, key_id: str, institution_id: int, client_ip: str | None
) -> ApiKey | None:
    """The key if it may act right now (`api_keys.service.usable`, and its holder allows)."""
    row = (await session.execute(_API_KEY_HOLDER.where(ApiKey.key_id == key_id))).first()
    if row is None:
        return None
    key, workspace, owner = row
    if not api_key_service.usable(key, client_ip) or not _holder_allows(
        workspace, owner, institution_id
    ):
        return None
    return key


async def authenticate(
    session: AsyncSession,
    kit: AuthKit,
    *,
    institution_id: int,
    client_id: str,
    secret: str,
    client_ip: str,
) -> Client | None:
    """The client `client_id` of the institution if `secret` is its secret and it may act.

    Unknown ids cost the same digest and compare as wrong secrets (timing-safe)."""
    kind = client_type_of(client_id) if len(client_id) <= MAX_CLIENT_ID else None
    presented = kit.tokens.digest(secret)
    if kind == ISSUER_CLIENT:
        client = await _issuer_client(session, client_id=client_id, institution_id=institution_id)
        matches = kit.tokens.same(presented, client.secret_hash if client else "0" * 64)
        if client is None or not matches:
            return None
        client.last_used_at = utcnow()
        return Client(ISSUER_CLIENT, client_id, institution_id, tuple(client.scopes), client)
    if kind == API_KEY:
        # The secret first (timing-safe, unknown ids alike), then the holder's state.
        key = await api_key_service.authenticate(
            session, kit, key_id=client_id, secret=secret, client_ip=client_ip
        )
        if (
            key is None
            or await _live_api_key(
                session, key_id=client_id, institution_id=institution_id, client_ip=client_ip
            )
            is None
        ):
            return None
        return Client(API_KEY, client_id, institution_id, tuple(key.scopes or []), api_key=key)
    kit.tokens.same(presented, "0" * 64)
    return None


async def recheck(
    session: AsyncSession,
    *,
    client_type: str,
    client_id: str,
    institution_id: int,
    client_ip: str | None,
) -> Client | None:
    """The client as it stands now (a token's client, on every request), or None when it
    was disabled, deleted, revoked or its holder suspended since the token was issued."""
    if len(client_id) > MAX_CLIENT_ID:
        return None
    if client_type == ISSUER_CLIENT:
        client = await _issuer_client(session, client_id=client_id, institution_id=institution_id)
        if client is None:
            return None
        return Client(ISSUER_CLIENT, client_id, institution_id, tuple(client.scopes), client)
    if client_type == API_KEY:
        key = await _live_api_key(
            session, key_id=client_id, institution_id=institution_id, client_ip=client_ip
        )
        if key is None:
            return None
        return Client(API_KEY, client_id, institution_id, tuple(key.scopes or []), api_key=key)
    return None
