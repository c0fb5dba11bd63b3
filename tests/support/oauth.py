"""OAuth helpers for the token endpoint, issuer API and onboarding tests: the institution's
realm, a partner API key, the issuer API client, a portal session opened directly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.api_keys import service as api_key_service
from portico.auth.sessions import open_session
from portico.caller import ClientInfo, PortalContext
from portico.enums import AccountPortal
from portico.runtime import runtime_of
from portico.workspaces import permissions
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes
from tests.factories.oauth import IssuerCredentials
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
        runtime_of(app).auth_kit,
        workspace=workspace,
        held=frozenset(permissions.all_codes()),
        created_by=account.biz_id,
        name="server",
        scopes=scopes or ["wallet:read", "transfer:write"],
        ip_whitelist=None,
    )
    await session.commit()
    return KeyCredentials(key.key_id, secret, account.id)


async def token_request(
    http: httpx.AsyncClient,
    realm: Realm,
    data: dict[str, str],
    *,
    auth: tuple[str, str] | None = None,
    path: str = "/token",
) -> httpx.Response:
    return await http.post(f"{realm.base}{path}", data=data, auth=auth)


# --- the issuer API ------------------------------------------------------------------------


@dataclass
class IssuerApi:
    """An issuer back office calling `/issuers/{issuerId}/...` with its client's token."""

    http: httpx.AsyncClient
    issuer_id: str
    token: str
    client: IssuerCredentials

    def url(self, path: str) -> str:
        return f"/issuers/{self.issuer_id}{path}"

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}", **extra}

    async def get(
        self,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> httpx.Response:
        return await self.http.get(
            self.url(path), headers=self.headers(token, **(headers or {})), **kw
        )

    async def post(
        self,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> httpx.Response:
        return await self.http.post(
            self.url(path), json=body, headers=self.headers(token, **(headers or {})), **kw
        )


def assert_issuer_error(response: httpx.Response, status: int, code: str) -> None:
    """The issuer API's one error body, exactly."""
    assert response.status_code == status, response.text
    assert response.json() == {
        "error": {"code": code, "message": response.json()["error"]["message"]}
    }
    assert isinstance(response.json()["error"]["message"], str)
    assert response.headers["cache-control"] == "no-store"


async def portal_session(
    app: Any, session: AsyncSession, account: Account, institution: InstitutionCodes
) -> tuple[str, str]:
    """A signed-in portal session of `account` (access and refresh token), as login makes."""
    portal = AccountPortal(account.portal)
    issued = await open_session(
        session,
        runtime_of(app).auth_kit,
        account=account,
        ctx=PortalContext(portal, institution.institution_id, institution.biz_id),
        client=ClientInfo("203.0.113.10", "pytest", None, "FR", "en"),
    )
    await session.commit()
    return issued.access_token, issued.refresh_token


async def client_token(http: httpx.AsyncClient, realm: Realm, credentials: Any) -> dict[str, Any]:
    """A client-credentials answer for `credentials` (Basic), as JSON."""
    response = await token_request(
        http,
        realm,
        {"grant_type": "client_credentials"},
        auth=(credentials.client_id, credentials.secret),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
