"""`/auth/realms/{realm}/...`: the token endpoint, introspection, JWKS and discovery, in the
Keycloak layout (the onboarding document's `/auth/realms/cdp/protocol/openid-connect/token`).

The realm is the institution's `realm` (its issuerId unless set otherwise); an unknown realm
is 404. Bodies are form-encoded; answers are the OAuth2 JSON, never the portal envelope.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from portico.deps import AuthKitDep, SessionDep
from portico.institutions import service as institution_service
from portico.institutions.models import Institution
from portico.oauth import errors, service
from portico.oauth.clients import Client
from portico.oauth.deps import KeyringDep
from portico.oauth.schemas import (
    INTROSPECT_REQUEST,
    TOKEN_REQUEST,
    IntrospectionOut,
    OAuthErrorOut,
    TokenOut,
)
from portico.oauth.scopes import ISSUER_SCOPES, parse
from portico.security.kit import AuthKit
from portico.web.context import ClientDep
from portico.workspaces import permissions

router = APIRouter(prefix="/auth/realms/{realm}", tags=["oauth2"])
FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 20
MAX_SECRET = 512
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": OAuthErrorOut, "description": text}
    for status, text in (
        (400, "invalid_request, invalid_grant, unsupported_grant_type, invalid_scope"),
        (401, "invalid_client (with `WWW-Authenticate: Basic` when Basic was used)"),
        (404, "unknown realm"),
        (429, "too many failed client authentications"),
    )
}


RealmPath = Annotated[str, Path(description="The institution's realm", max_length=64)]


async def get_realm(realm: RealmPath, session: SessionDep) -> Institution:
    institution = await institution_service.find_by_realm(session, realm)
    if institution is None:
        raise errors.realm_not_found()
    return institution


RealmDep = Annotated[Institution, Depends(get_realm)]


def _json(content: Any, status: int = 200) -> Response:
    body = json.dumps(content, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json", headers=NO_STORE)


async def read_form(request: Request) -> dict[str, str]:
    """The form body; a wrong content type, bad encoding or a repeated field is
    `invalid_request` (RFC 6749 §3.2: parameters must not be repeated)."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != FORM:
        raise errors.invalid_request(f"Content-Type must be {FORM}")
    try:
        pairs = parse_qsl(
            (await request.body()).decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise errors.invalid_request() from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise errors.invalid_request(f"Parameter {name[:40]!r} is repeated")
        if "\x00" in name or "\x00" in value:
            raise errors.invalid_request()
        form[name] = value
    return form


def client_credentials_of(
    request: Request, form: dict[str, str], realm: str
) -> tuple[str, str, bool]:
    """(client_id, client_secret, whether Basic was used): HTTP Basic (RFC 6749 §2.3.1, each
    part form-encoded) or the body's `client_id`/`client_secret`, not both."""
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "basic":
            raise errors.invalid_client(realm=realm, basic=True)
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise errors.invalid_client(realm=realm, basic=True) from None
        raw_id, colon, raw_secret = decoded.partition(":")
        client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if not colon or not client_id:
            raise errors.invalid_client(realm=realm, basic=True)
        if "client_secret" in form or form.get("client_id", client_id) != client_id:
            raise errors.invalid_request("Use one client authentication method, not two")
        return client_id, secret, True
    form_id, form_secret = form.get("client_id", ""), form.get("client_secret")
    if not form_id or form_secret is None:
        raise errors.invalid_client(realm=realm, basic=False)
    return form_id, form_secret, False


async def _authenticated(
    request: Request,
    form: dict[str, str],
    *,
    institution: Institution,
    session: SessionDep,
    kit: AuthKit,
    client_ip: str,
) -> Client:
    """The client the request authenticates as (Basic or form), throttled per client id."""
    client_id, secret, basic = client_credentials_of(request, form, institution.realm)
    if len(secret) > MAX_SECRET:
        raise errors.invalid_client(realm=institution.realm, basic=basic)
    return await service.authenticate_client(
        session,
        kit,
        institution=institution,
        client_id=client_id,
        secret=secret,
        client_ip=client_ip,
        basic=basic,
    )


def _requested_scopes(form: dict[str, str]) -> list[str] | None:
    return parse(form["scope"]) if "scope" in form else None


@router.post(
    "/protocol/openid-connect/token",
    response_model=TokenOut,
    responses=ERRORS,
    openapi_extra=TOKEN_REQUEST,
    summary="Get an access token",
)
async def token(
    request: Request,
    institution: RealmDep,
    session: SessionDep,
    kit: AuthKitDep,
    keyring: KeyringDep,
    client: ClientDep,
) -> Response:
    """`client_credentials` (an API key: `client_id` = apiKeyId; or an issuer client) or
    `refresh_token` (rotated on every use; a replayed one revokes its grant). The password
    grant is not offered (OAuth 2.1 drops it): `unsupported_grant_type`."""
    # The keys are read before this transaction writes anything (SQLite has one writer).
    await keyring.jwks()
    form = await read_form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise errors.invalid_request("grant_type is required")
    if grant_type not in ("client_credentials", "refresh_token"):
        raise errors.unsupported_grant_type()
    caller = await _authenticated(
        request, form, institution=institution, session=session, kit=kit, client_ip=client.ip
    )
    if grant_type == "client_credentials":
        issued = await service.client_credentials(
            session,
            kit,
            keyring,
            institution=institution,
            client=caller,
            requested=_requested_scopes(form),
        )
    else:
        presented = form.get("refresh_token")
        if not presented:
            raise errors.invalid_request("refresh_token is required")
        issued = await service.refresh(
            session,
            kit,
            keyring,
            institution=institution,
            client=caller,
            presented=presented[:MAX_SECRET],
            requested=_requested_scopes(form),
        )
    return _json(TokenOut.of(issued).model_dump(by_alias=True))


@router.post(
    "/protocol/openid-connect/token/introspect",
    response_model=IntrospectionOut,
    responses=ERRORS,
    openapi_extra=INTROSPECT_REQUEST,
    summary="Introspect an access token",
)
async def introspect(
    request: Request,
    institution: RealmDep,
    session: SessionDep,
    kit: AuthKitDep,
    keyring: KeyringDep,
    client: ClientDep,
) -> Response:
    """RFC 7662 for resource servers: whether a token is valid *now* (its client still
    active). A client may introspect its own tokens; an issuer client any of its realm."""
    form = await read_form(request)
    caller = await _authenticated(
        request, form, institution=institution, session=session, kit=kit, client_ip=client.ip
    )
    principal = await service.check_bearer(
        session, keyring, token=form.get("token", "")[:8192], client_ip=None
    )
    visible = principal is not None and (
        principal.client.institution_id == institution.id
        and (
            caller.client_type == "ISSUER_CLIENT" or principal.client.client_id == caller.client_id
        )
    )
    if principal is None or not visible:
        return _json({"active": False})
    claims = principal.claims
    out = IntrospectionOut(
        active=True,
        scope=" ".join(sorted(principal.scopes)),
        client_id=principal.client.client_id,
        sub=principal.client.client_id,
        token_type="Bearer",  # noqa: S106 - the token type, not a secret
        exp=int(str(claims["exp"])),
        iat=int(str(claims["iat"])),
        iss=str(claims.get("iss", "")),
    )
    return _json(out.model_dump(exclude_none=True))


UNKNOWN_REALM: dict[int | str, dict[str, Any]] = {404: ERRORS[404]}


@router.get(
    "/protocol/openid-connect/certs", summary="The signing keys (JWKS)", responses=UNKNOWN_REALM
)
async def certs(institution: RealmDep, keyring: KeyringDep) -> Response:
    """The public keys access tokens are signed with (ES256), each with its `kid`: the
    current one and any rotated out within their grace period."""
    body = json.dumps(await keyring.jwks(), separators=(",", ":")).encode()
    return Response(body, media_type="application/json", headers={"Cache-Control": "max-age=60"})


@router.get(
    "/.well-known/openid-configuration", summary="Discovery document", responses=UNKNOWN_REALM
)
async def discovery(institution: RealmDep, kit: AuthKitDep) -> Response:
    """Where the token endpoint and the keys are, and what they support."""
    issuer = service.issuer_url(kit.settings.public_base_url, institution.realm)
    endpoints = f"{issuer}/protocol/openid-connect"
    document = {
        "issuer": issuer,
        "token_endpoint": f"{endpoints}/token",
        "introspection_endpoint": f"{endpoints}/token/introspect",
        "jwks_uri": f"{endpoints}/certs",
        "grant_types_supported": ["client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "scopes_supported": [*ISSUER_SCOPES, *permissions.all_codes()],
        "response_types_supported": ["none"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    }
    body = json.dumps(document, separators=(",", ":")).encode()
    return Response(body, media_type="application/json", headers={"Cache-Control": "max-age=60"})
