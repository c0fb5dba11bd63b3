"""Who may call the issuer API: a bearer access token of an issuer client of the institution
the path's `issuerId` names, holding the route's scope.

Checked in this order, each with its own status: malformed path parameters (`400`; the
`x-correlation-id` header is checked earlier, by the middleware), a missing or invalid token
(`401`), a valid token of another kind of client (`403 ACCESS.ISSUER_CLIENT_REQUIRED`: a
partner API key's), another issuer's `issuerId` (`403 ACCESS.ISSUER_MISMATCH`), a missing scope
(`403 ACCESS.INSUFFICIENT_SCOPE`). The token's client is re-read on every request, so a
revoked client fails at once however long its token has left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes

from portico.deps import SessionDep, SettingsDep
from portico.errors import InvalidParameter, TokenInvalid, TokenMissing
from portico.institutions.models import Institution
from portico.issuer.audit import ISSUER_CLIENT, Actor
from portico.issuer.errors import InsufficientScope, IssuerClientRequired, IssuerMismatch
from portico.issuer.middleware import correlation_id_of
from portico.oauth import clients, service
from portico.oauth.deps import KeyringDep
from portico.oauth.models import IssuerClient
from portico.oauth.scopes import ISSUER_SCOPES
from portico.web.context import client_ip

ISSUER_ID_LENGTH = 10
ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
TOKEN_URL = "/auth/realms/{realm}/protocol/openid-connect/token"  # noqa: S105 - a URL

issuer_oauth = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(
            tokenUrl=TOKEN_URL, scopes={scope: scope for scope in ISSUER_SCOPES}
        )
    ),
    scheme_name="issuerClientCredentials",
    description=(
        "OAuth2 client credentials of an issuer client (`portico issuer create-client`) at "
        "the institution's realm (its issuerId unless set otherwise): "
        f"`POST {TOKEN_URL}`."
    ),
    auto_error=False,
)


@dataclass(frozen=True, slots=True)
class IssuerCaller:
    institution: Institution
    client: IssuerClient
    scopes: frozenset[str]
    correlation_id: str | None
    request_id: str | None

    @property
    def actor(self) -> Actor:
        return Actor(ISSUER_CLIENT, self.client.client_id, self.correlation_id, self.request_id)


def _check_path(request: Request) -> None:
    for name, value in request.path_params.items():
        if name == "issuerId":
            if len(value) != ISSUER_ID_LENGTH:
                raise InvalidParameter()
        elif not ID.fullmatch(value):
            raise InvalidParameter()


async def get_issuer_caller(
    security_scopes: SecurityScopes,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Depends(issuer_oauth)] = None,
) -> IssuerCaller:
    _check_path(request)
    if not authorization:
        raise TokenMissing()
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenMissing()
    principal = await service.check_bearer(
        session, keyring, token=token.strip()[:8192], client_ip=client_ip(request, settings)
    )
    if principal is None:
        raise TokenInvalid()
    if (
        principal.client.client_type != clients.ISSUER_CLIENT
        or principal.client.issuer_client is None
    ):
        raise IssuerClientRequired()
    if principal.institution.issuer_id != request.path_params.get("issuerId"):
        raise IssuerMismatch()
    if any(scope not in principal.scopes for scope in security_scopes.scopes):
        raise InsufficientScope()
    return IssuerCaller(
        institution=principal.institution,
        client=principal.client.issuer_client,
        scopes=principal.scopes,
        correlation_id=correlation_id_of(request.scope),
        request_id=request.scope.get("state", {}).get("request_id"),
    )


def _caller(scope: str) -> object:
    return Security(get_issuer_caller, scopes=[scope])


ConsumersRead = Annotated[IssuerCaller, _caller("issuer:consumers:read")]
ConsumersWrite = Annotated[IssuerCaller, _caller("issuer:consumers:write")]
RechargesRead = Annotated[IssuerCaller, _caller("issuer:recharges:read")]
RechargesWrite = Annotated[IssuerCaller, _caller("issuer:recharges:write")]
WithdrawalsRead = Annotated[IssuerCaller, _caller("issuer:withdrawals:read")]
WithdrawalsWrite = Annotated[IssuerCaller, _caller("issuer:withdrawals:write")]
FxRead = Annotated[IssuerCaller, _caller("issuer:fx:read")]
FxWrite = Annotated[IssuerCaller, _caller("issuer:fx:write")]
ChannelsRead = Annotated[IssuerCaller, _caller("issuer:channels:read")]
ChannelsWrite = Annotated[IssuerCaller, _caller("issuer:channels:write")]
PartnersRead = Annotated[IssuerCaller, _caller("issuer:partners:read")]
PartnersWrite = Annotated[IssuerCaller, _caller("issuer:partners:write")]
AuditRead = Annotated[IssuerCaller, _caller("issuer:audit:read")]
RelContactsRead = Annotated[IssuerCaller, _caller("rel:contacts:read")]
RelContactsWrite = Annotated[IssuerCaller, _caller("rel:contacts:write")]
