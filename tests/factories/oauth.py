"""OAuth factories: issuer clients, and access tokens minted through the service (for tests
where the token flow itself is not under test)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portico.api_keys.models import ApiKey
from portico.institutions.models import Institution
from portico.oauth import clients, service
from portico.oauth.clients import Client
from portico.oauth.models import IssuerClient
from portico.runtime import runtime_of
from portico.security.kit import AuthKit


@dataclass(frozen=True)
class IssuerCredentials:
    client: IssuerClient
    secret: str

    @property
    def client_id(self) -> str:
        return self.client.client_id


async def create_issuer_client(
    session: AsyncSession,
    kit: AuthKit,
    *,
    institution_id: int,
    scopes: Sequence[str] | None = None,
    name: str = "back office",
) -> IssuerCredentials:
    client, secret = await clients.create_issuer_client(
        session, kit.tokens, institution_id=institution_id, name=name, scopes=scopes
    )
    return IssuerCredentials(client, secret)


async def mint_token(
    session: AsyncSession,
    app: Any,
    *,
    institution_id: int,
    issuer_client: IssuerClient | None = None,
    api_key: ApiKey | None = None,
    scopes: list[str] | None = None,
) -> service.IssuedTokens:
    """Tokens for a client, as the token endpoint would issue them (commit to use them)."""
    institution = await session.get(Institution, institution_id)
    assert institution is not None
    if issuer_client is not None:
        client = Client(
            clients.ISSUER_CLIENT,
            issuer_client.client_id,
            institution_id,
            tuple(issuer_client.scopes),
            issuer_client,
        )
    else:
        assert api_key is not None
        client = Client(
            clients.API_KEY, api_key.key_id, institution_id, tuple(api_key.scopes), api_key=api_key
        )
    return await service.client_credentials(
        session,
        runtime_of(app).auth_kit,
        runtime_of(app).keyring,
        institution=institution,
        client=client,
        requested=scopes,
    )
