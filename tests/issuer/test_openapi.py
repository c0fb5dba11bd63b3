"""The OpenAPI document describes both server APIs: the token endpoint, and the issuer API
with its OAuth2 client-credentials security scheme and its one error shape."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.oauth import IssuerApi, Realm


async def test_both_apis_are_described(http: httpx.AsyncClient) -> None:
    spec: dict[str, Any] = (await http.get("/openapi.json")).json()
    scheme = spec["components"]["securitySchemes"]["issuerClientCredentials"]
    assert scheme["type"] == "oauth2"
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/auth/realms/{realm}/protocol/openid-connect/token"
    assert "issuer:consumers:write" in flow["scopes"]
    delete = spec["paths"]["/issuers/{issuerId}/consumers/{consumerId}/operations:delete"]["post"]
    assert delete["security"] == [{"issuerClientCredentials": ["issuer:consumers:write"]}]
    assert {"400", "401", "403", "404"} <= set(delete["responses"])
    assert delete["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }
    headers = {p["name"] for p in delete["parameters"] if p["in"] == "header"}
    assert {"x-correlation-id", "Idempotency-Key"} <= headers
    listing = spec["paths"]["/issuers/{issuerId}/consumers/{consumerId}/operations"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"], limit["schema"]["default"]) == (
        1,
        50,
        10,
    )
    operation = spec["components"]["schemas"]["OperationOut"]["properties"]
    assert list(operation) == [
        "operationId",
        "operation",
        "status",
        "startTime",
        "endTime",
        "requestorType",
        "requestorId",
        "reason",
        "reasonCode",
        "details",
        "errorCode",
        "error",
    ]
    token = spec["paths"]["/auth/realms/{realm}/protocol/openid-connect/token"]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    assert set(spec["components"]["schemas"]["TokenOut"]["properties"]) >= {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_expires_in",
        "refresh_token",
        "scope",
        "not-before-policy",
        "session_state",
    }


async def test_server_wide_failures_are_documented(
    http: httpx.AsyncClient, issuer_api: IssuerApi, realm: Realm
) -> None:
    """A body past the limit, an Idempotency-Key replayed with another body and an unknown
    realm's keys: answered, and (the test client checks every answer against the document)
    published for the operation that answers them."""
    big = {"padding": "x" * 1_100_000}
    assert (await issuer_api.post("/consumers:lookup", big)).status_code == 413
    token_url = f"{realm.base}/token"
    too_large = await http.post(token_url, content=b"grant_type=" + b"x" * 1_100_000)
    assert too_large.status_code == 413
    assert too_large.json()["error"] == "invalid_request"
    body = {"baseCurrency": "USD", "quoteCurrency": "GBP", "rate": "0.8"}
    key = {"Idempotency-Key": "server-wide-1"}
    assert (await issuer_api.post("/fx-rates:set", body, headers=key)).status_code == 200
    replay = await issuer_api.post("/fx-rates:set", {**body, "rate": "0.7"}, headers=key)
    assert replay.status_code == 409
    for tail in ("protocol/openid-connect/certs", ".well-known/openid-configuration"):
        assert (await http.get(f"/auth/realms/no-such-realm/{tail}")).status_code == 404
