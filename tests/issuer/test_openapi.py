"""The OpenAPI document describes both server APIs: the token endpoint, and the issuer API
with its OAuth2 client-credentials security scheme and its one error shape."""

from __future__ import annotations

from typing import Any

import httpx


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
