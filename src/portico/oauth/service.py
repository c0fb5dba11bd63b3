"""Grants and tokens: `client_credentials`, `refresh_token` with rotation and reuse detection,
and the check of an access token on every request it is presented with."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.auth import throttle
from portico.db import Database, affected_rows, utcnow
from portico.ids import new_token
from portico.institutions.models import Institution
from portico.oauth import clients, errors
from portico.oauth.clients import Client
from portico.oauth.keys import Keyring
from portico.oauth.models import OAuthRefreshToken, TokenFamily
from portico.oauth.scopes import ISSUER_SCOPES, ordered
from portico.security.kit import AuthKit
from portico.workspaces import permissions


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    scope: str
    session_state: str


@dataclass(frozen=True, slots=True)
class BearerPrincipal:
    """The client behind a valid access token, as it stands at this request."""

    client: Client
    family: TokenFamily
    institution: Institution
    scopes: frozenset[str]
    claims: dict[str, object]


def issuer_url(base_url: str, realm: str) -> str:
    return f"{base_url.rstrip('/')}/auth/realms/{realm}"


def _catalogue(client_type: str) -> Sequence[str]:
    return ISSUER_SCOPES if client_type == clients.ISSUER_CLIENT else permissions.all_codes()


def granted_scopes(held: Sequence[str], requested: list[str] | None, client_type: str) -> list[str]:
    """The scopes to grant: all `held`, or the `requested` subset; asking for more is
    `invalid_scope`."""
    if requested is None or not requested:
        return ordered(held, _catalogue(client_type))
    if any(scope not in held for scope in requested):
        raise errors.invalid_scope()
    return ordered(requested, _catalogue(client_type))


def throttle_key(client_id: str) -> str:
    """Failures are counted per client id (hashed: the id may be any text a caller sent)."""
    return "oauth:" + hashlib.sha256(client_id.encode()).hexdigest()[:32]


async def authenticate_client(
    session: AsyncSession,
    kit: AuthKit,
    *,
    institution: Institution,
    client_id: str,
    secret: str,
    client_ip: str,
    basic: bool,
) -> Client:
    """Authenticate a client, limited like passwords: an attempt is reserved *before* the
    secret is checked, so parallel guesses can never exceed the limit; a success gives its
    reservation back."""
    settings = kit.settings
    window = settings.login_failure_window_seconds
    client_key, ip_key = throttle_key(client_id), throttle.ip_key("oauth", client_ip)
    if not await throttle.reserve(
        kit.database, ip_key, limit=settings.login_ip_max_failures, window_seconds=window
    ) or not await throttle.reserve(
        kit.database, client_key, limit=settings.oauth_client_max_failures, window_seconds=window
    ):
        raise errors.too_many_attempts()
    client = await clients.authenticate(
        session,
        kit,
        institution_id=institution.id,
        client_id=client_id,
        secret=secret,
        client_ip=client_ip,
    )
    if client is None:
        raise errors.invalid_client(realm=institution.realm, basic=basic)
    await throttle.give_back(session, client_key)
    await throttle.give_back(session, ip_key)
    return client


async def _access_token(
    keyring: Keyring,
    kit: AuthKit,
    *,
    institution: Institution,
    client: Client,
    family: TokenFamily,
    scopes: list[str],
) -> tuple[str, int]:
    ttl = kit.settings.oauth_access_token_ttl_seconds
    now = utcnow()
    claims: dict[str, object] = {
        "iss": issuer_url(kit.settings.public_base_url, institution.realm),
        "sub": client.client_id,
        "azp": client.client_id,
        "client_id": client.client_id,
        "client_type": client.client_type,
        "ins": institution.biz_id,
        "sid": family.biz_id,
        "typ": "Bearer",
        "scope": " ".join(scopes),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": secrets.token_hex(12),
    }
    if client.api_key is not None:
        claims["mode"] = client.api_key.mode
    return await keyring.sign(claims), ttl


async def _new_refresh_token(session: AsyncSession, kit: AuthKit, family: TokenFamily) -> str:
    token = new_token(32)
    session.add(OAuthRefreshToken(token_hash=kit.tokens.digest(token), family_id=family.id))
    await session.flush()
    return token


async def client_credentials(
    session: AsyncSession,
    kit: AuthKit,
    keyring: Keyring,
    *,
    institution: Institution,
    client: Client,
    requested: list[str] | None,
) -> IssuedTokens:
    """A new token family for the client: an access token and a refresh token."""
    scopes = granted_scopes(client.scopes, requested, client.client_type)
    now = utcnow()
    family = TokenFamily(
        biz_id=new_token(24),
        institution_id=institution.id,
        client_type=client.client_type,
        client_id=client.client_id,
        scopes=scopes,
        created_at=now,
        expires_at=now + timedelta(seconds=kit.settings.oauth_refresh_token_ttl_seconds),
    )
    session.add(family)
    await session.flush()
    return await _issue(
        session, kit, keyring, institution=institution, client=client, family=family, scopes=scopes
    )


async def _issue(
    session: AsyncSession,
    kit: AuthKit,
    keyring: Keyring,
    *,
    institution: Institution,
    client: Client,
    family: TokenFamily,
    scopes: list[str],
) -> IssuedTokens:
    access, ttl = await _access_token(
        keyring, kit, institution=institution, client=client, family=family, scopes=scopes
    )
    refresh = await _new_refresh_token(session, kit, family)
    remaining = int((family.expires_at - utcnow()).total_seconds())
    return IssuedTokens(
        access_token=access,
        expires_in=ttl,
        refresh_token=refresh,
        refresh_expires_in=max(remaining, 0),
        scope=" ".join(scopes),
        session_state=family.biz_id,
    )


async def refresh(
    session: AsyncSession,
    kit: AuthKit,
    keyring: Keyring,
    *,
    institution: Institution,
    client: Client,
    presented: str,
    requested: list[str] | None,
) -> IssuedTokens:
    """Swap a refresh token of this client for a new pair (rotation).

    A token already rotated is a replay: someone else holds it, so the whole family (every
    refresh token and access token of the grant) is revoked, and the answer is
    `invalid_grant`."""
    token_hash = kit.tokens.digest(presented)
    row = (
        await session.execute(
            select(OAuthRefreshToken, TokenFamily)
            .join(TokenFamily, TokenFamily.id == OAuthRefreshToken.family_id)
            .where(OAuthRefreshToken.token_hash == token_hash)
        )
    ).first()
    if row is None:
        raise errors.invalid_grant()
    _, family = row
    now = utcnow()
    if (
        family.client_id != client.client_id
        or family.institution_id != institution.id
        or family.revoked_at is not None
        or family.expires_at <= now
    ):
        raise errors.invalid_grant()
    # Exactly one caller marks the token used; a replay (or a racing second use) loses.
    claimed = await session.execute(
        update(OAuthRefreshToken)
        .where(OAuthRefreshToken.token_hash == token_hash, OAuthRefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected_rows(claimed) != 1:
        family.revoked_at, family.revoke_reason = now, "REFRESH_REUSE"
        raise errors.invalid_grant(commit_changes=True)
    # The family keeps what it was granted, less anything the client has lost since.
    held = [scope for scope in family.scopes if scope in client.scopes]
    scopes = granted_scopes(held, requested, client.client_type)
    return await _issue(
        session, kit, keyring, institution=institution, client=client, family=family, scopes=scopes
    )


async def check_bearer(
    session: AsyncSession,
    keyring: Keyring,
    *,
    token: str,
    client_ip: str | None,
) -> BearerPrincipal | None:
    """The principal of an access token, checked against the database on every request: a
    revoked family, a disabled/deleted/revoked client or a suspended holder ends it at once,
    whatever the token's expiry says."""
    claims = await keyring.verify(token)
    if claims is None:
        return None
    family_biz_id, client_id = claims.get("sid"), claims.get("sub")
    client_type, institution_biz_id = claims.get("client_type"), claims.get("ins")
    if not all(isinstance(v, str) for v in (family_biz_id, client_id, client_type)):
        return None
    row = (
        await session.execute(
            select(TokenFamily, Institution)
            .join(Institution, Institution.id == TokenFamily.institution_id)
            .where(TokenFamily.biz_id == str(family_biz_id)[:64])
        )
    ).first()
    if row is None:
        return None
    family, institution = row
    if (
        family.revoked_at is not None
        or family.expires_at <= utcnow()
        or family.client_id != client_id
        or family.client_type != client_type
        or institution.biz_id != institution_biz_id
    ):
        return None
    client = await clients.recheck(
        session,
        client_type=family.client_type,
        client_id=family.client_id,
        institution_id=family.institution_id,
        client_ip=client_ip,
    )
    if client is None:
        return None
    scope_claim = claims.get("scope")
    token_scopes = str(scope_claim).split() if isinstance(scope_claim, str) else []
    scopes = frozenset(scope for scope in token_scopes if scope in client.scopes)
    return BearerPrincipal(
        client=client, family=family, institution=institution, scopes=scopes, claims=claims
    )


PURGE_BATCH = 5000


async def purge_expired(database: Database, *, batch: int = PURGE_BATCH) -> int:
    """Delete token families (and their refresh tokens) past their expiry, in batches."""
    deleted = 0
    while True:
        async with database.transaction() as session:
            expired = select(TokenFamily.id).where(TokenFamily.expires_at <= utcnow()).limit(batch)
            ids = list((await session.execute(expired)).scalars())
            if ids:
                await session.execute(
                    delete(OAuthRefreshToken).where(OAuthRefreshToken.family_id.in_(ids))
                )
                await session.execute(delete(TokenFamily).where(TokenFamily.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < batch:
            return deleted
