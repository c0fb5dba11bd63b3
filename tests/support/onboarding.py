"""The onboarding API's test kit: a client that calls `/caas-lcm/api/v1/CAAS/...` with a
partner's API key token (the onboarding scopes), and a complete onboarding payload."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.api_keys.models import ApiKey
from tests.factories.oauth import mint_token
from tests.support.oauth import KeyCredentials, Realm, partner_key

PREFIX = "/caas-lcm/api/v1/CAAS"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(64))
ONBOARDING_SCOPES = ["onboarding:read", "onboarding:write"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def payload(**overrides: Any) -> dict[str, Any]:
    """A complete onboarding body (every mandatory field, some optional ones)."""
    body: dict[str, Any] = {
        "partnerKycReference": "KYC-2026-0001",
        "givenName": "Ada",
        "middleName": None,
        "familyName": "Lovelace",
        "dateOfBirth": "1990-12-10",
        "gender": "FEMALE",
        "nationality": "GBR",
        "idType": "PASSPORT",
        "idNumber": "123 456-789",
        "idCountry": "GB",
        "idIssueDate": "2020-01-15",
        "idExpiryDate": "2030-01-14",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0958",
        "address": {
            "line1": "12 St James's Square",
            "line2": None,
            "city": "London",
            "region": None,
            "postalCode": "SW1Y 4LB",
            "country": "GB",
        },
        "kycLevel": "STANDARD",
        "screeningStatus": "CLEAR",
        "idFrontImage": b64(JPEG),
        "idBackImage": None,
        "faceImage": b64(PNG),
        "extraData": {"taxResidence": "GB"},
    }
    body.update(overrides)
    return body


def document(body: dict[str, Any] | None = None) -> dict[str, str]:
    source = body or payload()
    return {key: source[key] for key in ("idType", "idNumber", "idCountry")}


@dataclass
class Onboarding:
    """A partner's server calling the onboarding API with its token."""

    http: httpx.AsyncClient
    token: str | None

    def headers(self, token: str | None = None) -> dict[str, str]:
        chosen = token or self.token
        return {"Authorization": f"Bearer {chosen}"} if chosen else {}

    async def lookup(self, body: Any, *, token: str | None = None) -> httpx.Response:
        return await self.http.post(
            f"{PREFIX}/customer/lookup", json=body, headers=self.headers(token)
        )

    async def onboard(self, body: Any, *, token: str | None = None) -> httpx.Response:
        return await self.http.post(
            f"{PREFIX}/onBoarding/customer", json=body, headers=self.headers(token)
        )

    async def status(self, customer_id: str | None, *, token: str | None = None) -> httpx.Response:
        params = {"customerId": customer_id} if customer_id is not None else {}
        return await self.http.get(
            f"{PREFIX}/subscription/status", params=params, headers=self.headers(token)
        )


def assert_answer(
    response: httpx.Response, status: int, code: str, *, fields: list[str] | None = None
) -> Any:
    """The API's one shape, exactly; answers `data`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["code", "message", "fields", "data"], body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    if fields is not None:
        assert body["fields"] == fields, body
    assert response.headers["cache-control"] == "no-store"
    return body["data"]


async def onboarding_client(
    app: Any,
    http: httpx.AsyncClient,
    session: AsyncSession,
    realm: Realm,
    *,
    email: str,
    scopes: list[str] | None = None,
) -> tuple[Onboarding, KeyCredentials]:
    credentials = await partner_key(
        app, session, realm, email=email, scopes=scopes or ONBOARDING_SCOPES
    )
    key = (
        await session.execute(select(ApiKey).where(ApiKey.key_id == credentials.client_id))
    ).scalar_one()
    tokens = await mint_token(session, app, institution_id=realm.institution_id, api_key=key)
    await session.commit()
    return Onboarding(http, tokens.access_token), credentials
