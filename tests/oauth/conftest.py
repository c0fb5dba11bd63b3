"""Token endpoint fixtures: the institution's realm, an issuer client, a partner API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portico.api_keys import service as api_key_service
from portico.enums import AccountPortal
from portico.institutions.models import Institution
from portico.workspaces import permissions
from tests.conftest import InstitutionCodes
from tests.factories.accounts import create_account
from tests.factories.oauth import IssuerCredentials, create_issuer_client
from tests.factories.workspaces import owned_workspace


@dataclass(frozen=True)
class Realm:
    name: str
    issuer_id: str
    institution_id: int

    @property
    def base(self) -> str:
        return f"/auth/realms/{self.name}/protocol/openid-connect"

    @property
    def token_url(self) -> str:
        return f"http://portico.test{self.base}/token"


@dataclass(frozen=True)
class KeyCredentials:
    client_id: str
    secret: str
    account_id: int


@pytest.fixture
async def realm(session: AsyncSession, institution: InstitutionCodes) -> Realm:
    row = await session.get(Institution, institution.institution_id)
    assert row is not None
    return Realm(row.realm, row.issuer_id, row.id)


@pytest.fixture
async def issuer_client(app: Any, session: AsyncSession, realm: Realm) -> IssuerCredentials:
    credentials = await create_issuer_client(
        session, app.state.auth_kit, institution_id=realm.institution_id
    )
    await session.commit()
    return credentials


async def partner_key(
    app: Any,
    session: AsyncSession,
    realm: Realm,
    *,
    email: str = "partner@example.com",
    pending_approval: bool = False,
    scopes: list[str] | None = None,
) -> KeyCredentials:
    account = await create_account(
        session,
        institution_id=realm.institution_id,
        portal=AccountPortal.PARTNER,
        email=email,
        pending_approval=pending_approval,
    )
    workspace = await owned_workspace(session, owner=account)
    key, secret = await api_key_service.create_key(
        session,
        app.state.auth_kit,
        workspace=workspace,
        held=frozenset(permissions.all_codes()),
        created_by=account.biz_id,
        name="server",
        scopes=scopes or ["wallet:read", "transfer:write"],
        ip_whitelist=None,
    )
    await session.commit()
    return KeyCredentials(key.key_id, secret, account.id)


@pytest.fixture
async def api_key(app: Any, session: AsyncSession, realm: Realm) -> KeyCredentials:
    return await partner_key(app, session, realm)


async def token_request(
    http: httpx.AsyncClient,
    realm: Realm,
    data: dict[str, str],
    *,
    auth: tuple[str, str] | None = None,
    path: str = "/token",
) -> httpx.Response:
    return await http.post(f"{realm.base}{path}", data=data, auth=auth)
