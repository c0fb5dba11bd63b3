"""Signing keys: stored sealed in the database, rotated with a grace period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import utcnow
from portico.oauth.keys import Keyring
from portico.oauth.models import SigningKey
from portico.runtime import runtime_of
from tests.factories.oauth import IssuerCredentials
from tests.support.oauth import Realm, token_request


async def _token(http: httpx.AsyncClient, realm: Realm, creds: IssuerCredentials) -> str:
    response = await token_request(
        http, realm, {"grant_type": "client_credentials"}, auth=(creds.client_id, creds.secret)
    )
    token: str = response.json()["access_token"]
    return token


async def _active(
    http: httpx.AsyncClient, realm: Realm, creds: IssuerCredentials, token: str
) -> bool:
    response = await token_request(
        http,
        realm,
        {"token": token},
        auth=(creds.client_id, creds.secret),
        path="/token/introspect",
    )
    return bool(response.json()["active"])


async def test_rotation_keeps_the_old_key_for_its_grace(
    app: Any,
    http: httpx.AsyncClient,
    session: AsyncSession,
    realm: Realm,
    issuer_client: IssuerCredentials,
) -> None:
    keyring: Keyring = runtime_of(app).keyring
    old_token = await _token(http, realm, issuer_client)
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    new = await keyring.rotate(grace_seconds=3600)
    new_token = await _token(http, realm, issuer_client)
    assert jwt.get_unverified_header(new_token)["kid"] == new.kid
    kids = {key["kid"] for key in (await http.get(f"{realm.base}/certs")).json()["keys"]}
    assert kids == {old_kid, new.kid}
    assert await _active(http, realm, issuer_client, old_token)
    # the grace period is over: the old key is neither published nor accepted
    await session.execute(
        update(SigningKey)
        .where(SigningKey.kid == old_kid)
        .values(retires_at=utcnow() - timedelta(seconds=1))
    )
    await session.commit()
    keyring._loaded_at = float("-inf")  # as after CACHE_SECONDS
    kids = {key["kid"] for key in (await http.get(f"{realm.base}/certs")).json()["keys"]}
    assert kids == {new.kid}
    assert not await _active(http, realm, issuer_client, old_token)
    assert await _active(http, realm, issuer_client, new_token)


async def test_private_keys_are_sealed_and_forgeries_refused(
    http: httpx.AsyncClient, session: AsyncSession, realm: Realm, issuer_client: IssuerCredentials
) -> None:
    token = await _token(http, realm, issuer_client)
    row = (await session.execute(select(SigningKey))).scalars().first()
    assert row is not None and row.private_key_encrypted.startswith("gAAAA")  # Fernet
    claims = jwt.decode(token, options={"verify_signature": False})
    header = jwt.get_unverified_header(token)
    stranger = ec.generate_private_key(ec.SECP256R1())
    forgeries = [
        jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": header["kid"]}),
        jwt.encode(claims, "s" * 32, algorithm="HS256", headers={"kid": header["kid"]}),
        jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": "x" * 40}),
        jwt.encode({**claims, "exp": 1}, stranger, algorithm="ES256"),
        token[:-4] + "AAAA",
    ]
    for forged in forgeries:
        assert not await _active(http, realm, issuer_client, forged)
    assert await _active(http, realm, issuer_client, token)
