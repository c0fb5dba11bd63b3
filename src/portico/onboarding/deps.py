"""Who may call the onboarding API: a bearer access token (the token endpoint's
`client_credentials` grant) of a LIVE API key of an approved partner's workspace, holding the
route's scope (`onboarding:read` to look up and read subscriptions, `onboarding:write` to
onboard). The key and its holder are re-checked on every request (`oauth.service.check_bearer`).

Refusals: no, a malformed or an invalid token `401 AUTHENTICATION_FAILED`; a valid token of an
issuer client, a consumer's key or a SANDBOX key `403 PARTNER_KEY_REQUIRED`; a missing scope
`403 INSUFFICIENT_SCOPE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes
from sqlalchemy import select

from portico.accounts.models import Account
from portico.api_keys.models import ApiKey
from portico.deps import SessionDep, SettingsDep
from portico.enums import AccountPortal, WorkspaceKind
from portico.errors import raises
from portico.institutions.models import Institution
from portico.oauth import clients, service
from portico.oauth.deps import KeyringDep
from portico.onboarding.errors import AuthenticationFailed, PartnerKeyRequired, ScopeMissing
from portico.tenancy import across_workspaces
from portico.web.context import client_ip
from portico.workspaces.models import Workspace, WorkspaceMember

READ = "onboarding:read"
WRITE = "onboarding:write"
TOKEN_URL = "/auth/realms/{realm}/protocol/openid-connect/token"  # noqa: S105 - a URL

onboarding_oauth = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(
            tokenUrl=TOKEN_URL,
            scopes={READ: "Look customers up, read subscriptions", WRITE: "Onboard customers"},
        )
    ),
    scheme_name="partnerClientCredentials",
    description=(
        "OAuth2 client credentials of a partner's LIVE API key (created in the partner portal "
        f"with the onboarding scopes) at the institution's realm: `POST {TOKEN_URL}`."
    ),
    auto_error=False,
)


@dataclass(frozen=True, slots=True)
class PartnerCaller:
    institution: Institution
    workspace: Workspace
    key: ApiKey


_OWNER = across_workspaces(
    select(Workspace, Account)
    .join(
        WorkspaceMember,
        (WorkspaceMember.workspace_id == Workspace.id) & WorkspaceMember.is_owner.is_(True),
    )
    .join(Account, Account.id == WorkspaceMember.account_id),
    "an onboarding API key's workspace and owner",
)


@raises(AuthenticationFailed, PartnerKeyRequired, ScopeMissing)
async def get_partner_caller(
    security_scopes: SecurityScopes,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Depends(onboarding_oauth)] = None,
) -> PartnerCaller:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed()
    principal = await service.check_bearer(
        session, keyring, token=token.strip()[:8192], client_ip=client_ip(request, settings)
    )
    if principal is None:
        raise AuthenticationFailed()
    key = principal.client.api_key
    if principal.client.client_type != clients.API_KEY or key is None:
        raise PartnerKeyRequired()
    row = (await session.execute(_OWNER.where(Workspace.id == key.workspace_id))).first()
    if row is None:
        raise AuthenticationFailed()
    workspace, owner = row
    if owner.portal != AccountPortal.PARTNER or workspace.kind != WorkspaceKind.LIVE:
        raise PartnerKeyRequired()
    if any(scope not in principal.scopes for scope in security_scopes.scopes):
        raise ScopeMissing()
    return PartnerCaller(institution=principal.institution, workspace=workspace, key=key)


OnboardingRead = Annotated[PartnerCaller, Security(get_partner_caller, scopes=[READ])]
OnboardingWrite = Annotated[PartnerCaller, Security(get_partner_caller, scopes=[WRITE])]
