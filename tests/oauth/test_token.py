"""The token endpoint: Keycloak-compatible answers and RFC 6749 errors, driven by Authlib's
OAuth2 client (written by others) where the flow is under test."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.api_keys.models import ApiKey
from portico.db import utcnow
from portico.institutions.models import Institution
from portico.oauth import clients
from portico.oauth.models import TokenFamily
from tests.factories.institutions import create_institution
from tests.factories.oauth import IssuerCredentials
from tests.support.authlib_client import OAuthError, oauth_client
from tests.support.oauth import KeyCredentials, Realm, client_token, partner_key, token_request

TOKEN_KEYS = [
    "access_token",
    "expires_in",
    "refresh_expires_in",
    "refresh_token",
    "token_type",
    "not-before-policy",
    "session_state",
    "scope",
]


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert list(body) == ["error", "error_description"]
    assert body["error"] == error
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    return body


class TestClientCredentials:
    @pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
    async def test_issuer_client_with_authlib(
        self, app: Any, realm: Realm, issuer_client: IssuerCredentials, method: str
    ) -> None:
        async with oauth_client(
            app, issuer_client.client_id, issuer_client.secret, token_endpoint_auth_method=method
        ) as client:
            token = await client.fetch_token(realm.token_url, grant_type="client_credentials")
        assert set(TOKEN_KEYS) <= set(token)
        assert token["token_type"] == "Bearer"
        assert token["expires_in"] == 3600 and token["not-before-policy"] == 0
        assert 0 < token["refresh_expires_in"] <= 86_400
        assert token["scope"].split() == list(issuer_client.client.scopes)
        claims = jwt.decode(token["access_token"], options={"verify_signature": False})
        assert claims["sub"] == issuer_client.client_id
        assert claims["sid"] == token["session_state"]
        assert claims["iss"].endswith(f"/auth/realms/{realm.name}")
        assert jwt.get_unverified_header(token["access_token"])["alg"] == "ES256"

    async def test_api_key_with_authlib_and_answer_headers(
        self, app: Any, http: httpx.AsyncClient, realm: Realm, api_key: KeyCredentials
    ) -> None:
        async with oauth_client(app, api_key.client_id, api_key.secret) as client:
            token = await client.fetch_token(realm.token_url, grant_type="client_credentials")
        assert token["scope"] == "wallet:read transfer:write"
        raw = await token_request(
            http,
            realm,
            {"grant_type": "client_credentials"},
            auth=(api_key.client_id, api_key.secret),
        )
        assert raw.status_code == 200
        assert list(raw.json()) == TOKEN_KEYS
        assert raw.headers["cache-control"] == "no-store"
        assert raw.headers["pragma"] == "no-cache"

    async def test_scope_narrows_and_more_is_invalid_scope(
        self, http: httpx.AsyncClient, realm: Realm, api_key: KeyCredentials
    ) -> None:
        auth = (api_key.client_id, api_key.secret)
        narrow = await token_request(
            http, realm, {"grant_type": "client_credentials", "scope": "wallet:read"}, auth=auth
        )
        assert narrow.json()["scope"] == "wallet:read"
        wider = await token_request(
            http,
            realm,
            {"grant_type": "client_credentials", "scope": "wallet:read wallet:write"},
            auth=auth,
        )
        assert_oauth_error(wider, 400, "invalid_scope")

    async def test_client_of_another_realm_is_invalid_client(
        self,
        app: Any,
        http: httpx.AsyncClient,
        session: AsyncSession,
        issuer_client: IssuerCredentials,
    ) -> None:

        other = await create_institution(session, name="Other Bank")
        await session.commit()
        row = await session.get(Institution, other.institution_id)
        assert row is not None
        response = await http.post(
            f"/auth/realms/{row.realm}/protocol/openid-connect/token",
            data={"grant_type": "client_credentials"},
            auth=(issuer_client.client_id, issuer_client.secret),
        )
        assert_oauth_error(response, 401, "invalid_client")


class TestErrors:
    async def test_wrong_secret_with_basic_has_a_challenge(
        self, http: httpx.AsyncClient, realm: Realm, issuer_client: IssuerCredentials
    ) -> None:
        response = await token_request(
            http, realm, {"grant_type": "client_credentials"}, auth=(issuer_client.client_id, "no")
        )
        assert_oauth_error(response, 401, "invalid_client")
        assert response.headers["www-authenticate"] == f'Basic realm="{realm.name}"'

    async def test_wrong_secret_in_the_form_has_no_challenge(
        self, http: httpx.AsyncClient, realm: Realm, api_key: KeyCredentials
    ) -> None:
        for client_id in (api_key.client_id, "sk_live_unknown", "whatever", "x" * 300):
            response = await token_request(
                http,
                realm,
                {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "no"},
            )
            assert_oauth_error(response, 401, "invalid_client")
            assert "www-authenticate" not in response.headers

    async def test_no_client_authentication(self, http: httpx.AsyncClient, realm: Realm) -> None:
        response = await token_request(http, realm, {"grant_type": "client_credentials"})
        assert_oauth_error(response, 401, "invalid_client")

    async def test_two_authentication_methods(
        self, http: httpx.AsyncClient, realm: Realm, api_key: KeyCredentials
    ) -> None:
        response = await token_request(
            http,
            realm,
            {"grant_type": "client_credentials", "client_secret": api_key.secret},
            auth=(api_key.client_id, api_key.secret),
        )
        assert_oauth_error(response, 400, "invalid_request")

    @pytest.mark.parametrize("grant", ["password", "authorization_code", "implicit", "x" * 80])
    async def test_unsupported_grants(
        self, http: httpx.AsyncClient, realm: Realm, api_key: KeyCredentials, grant: str
    ) -> None:
        response = await token_request(
            http,
            realm,
            {"grant_type": grant, "username": "a", "password": "b"},
            auth=(api_key.client_id, api_key.secret),
        )
        assert_oauth_error(response, 400, "unsupported_grant_type")

    async def test_malformed_requests(
        self, http: httpx.AsyncClient, realm: Realm, api_key: KeyCredentials
    ) -> None:
        url = f"{realm.base}/token"
        basic = (
            "Basic " + base64.b64encode(f"{api_key.client_id}:{api_key.secret}".encode()).decode()
        )
        cases = [
            ({"content-type": "application/json"}, b'{"grant_type":"client_credentials"}'),
            ({"content-type": "application/x-www-form-urlencoded"}, b""),
            (
                {"content-type": "application/x-www-form-urlencoded"},
                b"grant_type=client_credentials&grant_type=client_credentials",
            ),
            ({"content-type": "application/x-www-form-urlencoded"}, b"grant_type=%ff%fe"),
            (
                {"content-type": "application/x-www-form-urlencoded"},
                b"grant_type=client_credentials%00",
            ),
        ]
        for headers, body in cases:
            response = await http.post(
                url, content=body, headers={**headers, "authorization": basic}
            )
            assert_oauth_error(response, 400, "invalid_request")
        for authorization in (
            "Basic !!!",
            "Basic " + base64.b64encode(b"nocolon").decode(),
            "Bearer x",
        ):
            response = await http.post(
                url,
                data={"grant_type": "client_credentials"},
                headers={"authorization": authorization},
            )
            assert_oauth_error(response, 401, "invalid_client")

    async def test_unknown_realm_and_route(self, http: httpx.AsyncClient, realm: Realm) -> None:
        for path in (
            "/auth/realms/nope/protocol/openid-connect/token",
            "/auth/realms/nope/protocol/openid-connect/certs",
            "/auth/realms/" + "x" * 65 + "/protocol/openid-connect/certs",
        ):
            response = await http.post(path, data={"grant_type": "client_credentials"})
            assert response.status_code in (404, 405)
            assert list(response.json()) == ["error", "error_description"]
        response = await http.post("/auth/realms/nope/protocol/openid-connect/token", data={})
        assert_oauth_error(response, 404, "invalid_request")
        wrong_method = await http.get(f"{realm.base}/token")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["error"] == "invalid_request"


class TestRefresh:
    async def test_rotation_with_authlib(
        self, app: Any, realm: Realm, issuer_client: IssuerCredentials
    ) -> None:
        async with oauth_client(app, issuer_client.client_id, issuer_client.secret) as client:
            first = await client.fetch_token(realm.token_url, grant_type="client_credentials")
            second = await client.refresh_token(
                realm.token_url, refresh_token=first["refresh_token"]
            )
            assert second["refresh_token"] != first["refresh_token"]
            assert second["session_state"] == first["session_state"]
            narrowed = await client.refresh_token(
                realm.token_url,
                refresh_token=second["refresh_token"],
                scope="issuer:audit:read",
            )
            assert narrowed["scope"] == "issuer:audit:read"
            with pytest.raises(OAuthError) as replayed:
                await client.refresh_token(realm.token_url, refresh_token=first["refresh_token"])
            assert replayed.value.error == "invalid_grant"

    async def test_reuse_revokes_the_family(
        self, http: httpx.AsyncClient, session: AsyncSession, realm: Realm, api_key: KeyCredentials
    ) -> None:
        auth = (api_key.client_id, api_key.secret)
        first = (
            await token_request(http, realm, {"grant_type": "client_credentials"}, auth=auth)
        ).json()
        second = (
            await token_request(
                http,
                realm,
                {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                auth=auth,
            )
        ).json()
        replay = await token_request(
            http,
            realm,
            {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
            auth=auth,
        )
        assert_oauth_error(replay, 400, "invalid_grant")
        # the thief's replay ended the whole grant: the newest refresh token and the access
        # tokens of the family are dead too
        newest = await token_request(
            http,
            realm,
            {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
            auth=auth,
        )
        assert_oauth_error(newest, 400, "invalid_grant")
        family = (
            await session.execute(
                select(TokenFamily).where(TokenFamily.biz_id == first["session_state"])
            )
        ).scalar_one()
        assert family.revoke_reason == "REFRESH_REUSE"
        introspected = await token_request(
            http, realm, {"token": second["access_token"]}, auth=auth, path="/token/introspect"
        )
        assert introspected.json() == {"active": False}

    async def test_refresh_token_of_another_client_or_unknown(
        self,
        app: Any,
        http: httpx.AsyncClient,
        session: AsyncSession,
        realm: Realm,
        api_key: KeyCredentials,
    ) -> None:
        other = await partner_key(app, session, realm, email="other@example.com")
        mine = await client_token(http, realm, api_key)
        for token in (mine["refresh_token"], "unknown", ""):
            response = await token_request(
                http,
                realm,
                {"grant_type": "refresh_token", "refresh_token": token},
                auth=(other.client_id, other.secret),
            )
            assert response.status_code == 400
            assert response.json()["error"] in ("invalid_grant", "invalid_request")


class TestClientStateOnEveryRequest:
    """A token's client is re-read whenever the token is used (introspection here; the issuer
    API in tests/issuer), so refusals apply on the very next request."""

    async def _active(self, http: httpx.AsyncClient, realm: Realm, creds: Any, token: str) -> bool:
        response = await token_request(
            http,
            realm,
            {"token": token, "client_id": creds.client_id, "client_secret": creds.secret},
            path="/token/introspect",
        )
        if response.status_code != 200:
            return False
        return bool(response.json()["active"])

    @pytest.mark.parametrize("change", ["disabled", "deleted", "owner_suspended"])
    async def test_api_key_change_ends_its_live_token(
        self,
        http: httpx.AsyncClient,
        session: AsyncSession,
        realm: Realm,
        api_key: KeyCredentials,
        issuer_client: IssuerCredentials,
        change: str,
    ) -> None:
        token = await client_token(http, realm, api_key)
        assert await self._active(http, realm, issuer_client, token["access_token"])
        if change == "owner_suspended":
            await session.execute(
                update(Account).where(Account.id == api_key.account_id).values(status="SUSPENDED")
            )
        else:
            values = {"status": "DISABLED"} if change == "disabled" else {"deleted_at": utcnow()}
            await session.execute(
                update(ApiKey).where(ApiKey.key_id == api_key.client_id).values(**values)
            )
        await session.commit()
        assert not await self._active(http, realm, issuer_client, token["access_token"])
        again = await token_request(
            http,
            realm,
            {"grant_type": "client_credentials"},
            auth=(api_key.client_id, api_key.secret),
        )
        assert_oauth_error(again, 401, "invalid_client")

    async def test_pending_partner_gets_no_token(
        self, app: Any, http: httpx.AsyncClient, session: AsyncSession, realm: Realm
    ) -> None:
        pending = await partner_key(
            app, session, realm, email="new@example.com", pending_approval=True
        )
        response = await token_request(
            http,
            realm,
            {"grant_type": "client_credentials"},
            auth=(pending.client_id, pending.secret),
        )
        assert_oauth_error(response, 401, "invalid_client")

    async def test_revoked_issuer_client(
        self,
        http: httpx.AsyncClient,
        session: AsyncSession,
        realm: Realm,
        issuer_client: IssuerCredentials,
    ) -> None:
        auth = (issuer_client.client_id, issuer_client.secret)
        token = (
            await token_request(http, realm, {"grant_type": "client_credentials"}, auth=auth)
        ).json()
        assert await self._active(http, realm, issuer_client, token["access_token"])
        await clients.revoke_issuer_client(session, client_id=issuer_client.client_id)
        await session.commit()
        refreshed = await token_request(
            http,
            realm,
            {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            auth=auth,
        )
        assert_oauth_error(refreshed, 401, "invalid_client")

    async def test_introspection_shows_only_own_tokens_to_api_keys(
        self,
        app: Any,
        http: httpx.AsyncClient,
        session: AsyncSession,
        realm: Realm,
        api_key: KeyCredentials,
    ) -> None:
        other = await partner_key(app, session, realm, email="other@example.com")
        token = await client_token(http, realm, api_key)
        assert await self._active(http, realm, api_key, token["access_token"])
        assert not await self._active(http, realm, other, token["access_token"])
        assert not await self._active(http, realm, api_key, "not-a-token")
        body = (
            await token_request(
                http,
                realm,
                {"token": token["access_token"]},
                auth=(api_key.client_id, api_key.secret),
                path="/token/introspect",
            )
        ).json()
        assert body["client_id"] == api_key.client_id and body["token_type"] == "Bearer"
        assert set(body["scope"].split()) == {"wallet:read", "transfer:write"}


class TestDiscovery:
    async def test_openid_configuration(self, http: httpx.AsyncClient, realm: Realm) -> None:
        document = (
            await http.get(f"/auth/realms/{realm.name}/.well-known/openid-configuration")
        ).json()
        assert document["token_endpoint"].endswith(f"{realm.base}/token")
        assert document["jwks_uri"].endswith(f"{realm.base}/certs")
        assert document["grant_types_supported"] == ["client_credentials", "refresh_token"]
        assert "password" not in document["grant_types_supported"]
        keys = (await http.get(f"{realm.base}/certs")).json()["keys"]
        assert keys and all(k["kty"] == "EC" and k["alg"] == "ES256" and k["kid"] for k in keys)
        assert all("d" not in key for key in keys)  # never the private part
