"""The token endpoint on real server processes: brute force under truly parallel guesses,
and tokens verified by a JOSE library (PyJWT's JWKS client) against the live JWKS."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import jwt

from portico.config import Settings
from tests.factories.oauth import IssuerCredentials
from tests.support.authlib_client import AsyncOAuth2Client
from tests.support.oauth import Realm


async def test_fifty_parallel_wrong_secrets_evaluate_at_most_the_limit(
    servers: list[str], realm: Realm, issuer_client: IssuerCredentials, settings: Settings
) -> None:
    limit = settings.oauth_client_max_failures
    async with httpx.AsyncClient(timeout=30) as client:

        async def guess(n: int) -> int:
            response = await client.post(
                f"{servers[n % 2]}{realm.base}/token",
                data={"grant_type": "client_credentials"},
                auth=(issuer_client.client_id, f"wrong-{n}"),
            )
            assert list(response.json()) == ["error", "error_description"]
            return response.status_code

        statuses = await asyncio.gather(*[guess(n) for n in range(50)])
        assert statuses.count(401) == limit
        assert statuses.count(429) == 50 - limit
        # locked for the window: even the right secret is refused now
        right = await client.post(
            f"{servers[0]}{realm.base}/token",
            data={"grant_type": "client_credentials"},
            auth=(issuer_client.client_id, issuer_client.secret),
        )
        assert right.status_code == 429
        assert right.json()["error"] == "invalid_client"


async def test_a_jose_library_verifies_tokens_against_the_live_jwks(
    servers: list[str], realm: Realm, issuer_client: IssuerCredentials
) -> None:
    base = servers[1]
    async with AsyncOAuth2Client(issuer_client.client_id, issuer_client.secret) as client:
        token = await client.fetch_token(
            f"{servers[0]}{realm.base}/token", grant_type="client_credentials"
        )
    discovery: dict[str, Any] = httpx.get(
        f"{base}/auth/realms/{realm.name}/.well-known/openid-configuration"
    ).json()
    jwks_url = discovery["jwks_uri"].replace("http://127.0.0.1:8000", base)

    def verify() -> dict[str, Any]:
        signing_key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token["access_token"])
        claims: dict[str, Any] = jwt.decode(
            token["access_token"],
            signing_key.key,
            algorithms=["ES256"],
            issuer=discovery["issuer"],
            options={"require": ["exp", "iat", "sub"]},
        )
        return claims

    claims = await asyncio.to_thread(verify)
    assert claims["sub"] == issuer_client.client_id
    assert claims["scope"] == token["scope"]
