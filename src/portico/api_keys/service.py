"""API keys of a workspace: create, list, enable/disable, delete, and key authentication."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.api_keys.models import ApiKey
from portico.db import utcnow
from portico.enums import WorkspaceKind
from portico.errors import InvalidParameter, NotFound
from portico.security import ipwhitelist
from portico.security.kit import AuthKit
from portico.tenancy import across_workspaces, scoped
from portico.workspaces import permissions
from portico.workspaces.models import Workspace
from portico.workspaces.permissions import refuse_grants

ACTIVE = "ACTIVE"
DISABLED = "DISABLED"
KEY_PREFIXES: dict[WorkspaceKind, str] = {
    WorkspaceKind.LIVE: "sk_live_",
    WorkspaceKind.SANDBOX: "sk_test_",
}
KEY_ID_MAX = 40  # the column's width: longer ids are never stored keys


def grantable(held: Iterable[str]) -> list[str]:
    """The codes a caller holding `held` may put on a key, in the documents' order."""
    codes = frozenset(held)
    return [code for code in permissions.api_key_order() if code in codes]


def _scopes(requested: list[str], held: frozenset[str]) -> list[str]:
    """Known codes the caller holds, without repeats, in the order asked for.

    An unknown code is a bad parameter; a known one the caller does not hold is refused (403):
    nobody hands out a permission they do not hold."""
    result: list[str] = []
    for code in requested:
        if not permissions.is_known(code):
            raise InvalidParameter()
        if code not in result:
            result.append(code)
    if not result:
        raise InvalidParameter()
    refuse_grants(held, result)
    return result


async def list_keys(session: AsyncSession, *, workspace_id: int) -> Sequence[ApiKey]:
    """The workspace's keys that are not deleted, newest first."""
    statement = (
        select(ApiKey)
        .where(ApiKey.deleted_at.is_(None))
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    )
    return (await session.execute(scoped(statement, ApiKey, workspace_id))).scalars().all()


async def get_key(session: AsyncSession, *, workspace_id: int, key_id: str) -> ApiKey:
    """A live key of this workspace; 404 for unknown, deleted and other workspaces' keys."""
    if len(key_id) > KEY_ID_MAX:
        raise NotFound()
    statement = select(ApiKey).where(ApiKey.key_id == key_id, ApiKey.deleted_at.is_(None))
    key = (await session.execute(scoped(statement, ApiKey, workspace_id))).scalar_one_or_none()
    if key is None:
        raise NotFound()
    return key


async def create_key(
    session: AsyncSession,
    kit: AuthKit,
    *,
    workspace: Workspace,
    held: frozenset[str],
    created_by: str,
    name: str,
    scopes: list[str],
    ip_whitelist: list[str] | None,
) -> tuple[ApiKey, str]:
    """A new ACTIVE key and its secret (stored only as a keyed digest)."""
    granted = _scopes(scopes, held)
    entries = ipwhitelist.normalise(ip_whitelist or [])
    kind = workspace.kind
    secret = secrets.token_hex(32)
    key = ApiKey(
        key_id=KEY_PREFIXES[kind] + secrets.token_hex(10),
        workspace_id=workspace.id,
        name=name,
        secret_hash=kit.tokens.digest(secret),
        status=ACTIVE,
        mode=kind.value,
        scopes=granted,
        ip_whitelist=entries,
        created_by=created_by,
        created_at=utcnow(),
        last_used_at=None,
        deleted_at=None,
    )
    session.add(key)
    await session.flush()
    return key, secret


async def set_status(
    session: AsyncSession, *, key: ApiKey, status: str, held: frozenset[str]
) -> ApiKey:
    """Enable or disable a key; enabling hands its scopes out again, so the caller must hold
    them."""
    if status == ACTIVE:
        refuse_grants(held, key.scopes or [])
    key.status = status
    await session.flush()
    return key


async def delete_key(session: AsyncSession, *, key: ApiKey) -> None:
    """Soft delete: the key stops working and disappears from the workspace."""
    key.deleted_at = utcnow()
    await session.flush()


def usable(key: ApiKey, client_ip: str | None) -> bool:
    """Whether the key may act: ACTIVE, not deleted, and called from an allowed IP (when the
    caller's IP is known)."""
    if key.status != ACTIVE or key.deleted_at is not None:
        return False
    entries = list(key.ip_whitelist or [])
    return client_ip is None or not entries or ipwhitelist.allows(entries, client_ip)


async def authenticate(
    session: AsyncSession, kit: AuthKit, *, key_id: str, secret: str, client_ip: str
) -> ApiKey | None:
    """The live, ACTIVE key `key_id` if `secret` is its secret and `client_ip` is allowed.

    On success the key's `last_used_at` is set; the caller's unit of work commits it.
    """
    presented = kit.tokens.digest(secret)
    key: ApiKey | None = None
    if len(key_id) <= KEY_ID_MAX:
        statement = select(ApiKey).where(ApiKey.key_id == key_id, ApiKey.deleted_at.is_(None))
        key = (
            await session.execute(across_workspaces(statement, "API key authentication by key id"))
        ).scalar_one_or_none()
    # Compare even when there is no key, so unknown ids cost the same as wrong secrets.
    matches = kit.tokens.same(presented, key.secret_hash if key is not None else "0" * 64)
    if key is None or not matches or not usable(key, client_ip):
        return None
    key.last_used_at = utcnow()
    await session.flush()
    return key
