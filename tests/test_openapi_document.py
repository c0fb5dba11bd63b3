"""What `/openapi.json` publishes: no empty enums, no 422, each operation's real success status
and envelope, its error responses and codes, the enum objects' real values, the request rules the
server enforces, typed constants and permission tree."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from portico import enums
from portico.enums import WireEnum
from portico.workspaces.permissions import all_codes
from tests.support.conformance import document

PORTALS = ("consumer", "partner")


def _walk(node: Any) -> Any:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document()["paths"].items()
        if path.startswith("/web/v1/")
        for method, operation in item.items()
    ]


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = document()["components"]["schemas"][name]
    return schema


def _success(path: str, method: str = "post") -> tuple[str, Any]:
    responses = document()["paths"][path][method]["responses"]
    [(status, response)] = [(s, r) for s, r in responses.items() if s.startswith("2")]
    return status, response


class TestNothingUntrue:
    def test_no_empty_enum_anywhere(self) -> None:
        assert not [n for n in _walk(document()) if isinstance(n, dict) and n.get("enum") == []]

    def test_no_422_and_no_validation_error_schema(self) -> None:
        text = json.dumps(document())
        assert '"422"' not in text and "HTTPValidationError" not in text

    async def test_served_document_is_this_one(self, http: httpx.AsyncClient) -> None:
        assert (await http.get("/openapi.json")).json() == document()


class TestSuccesses:
    def test_creates_are_201_created(self) -> None:
        status, response = _success("/web/v1/consumer/transfer/command/create")
        assert status == "201"
        ref = response["content"]["application/json"]["schema"]["$ref"]
        created = document()["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert created["properties"]["code"] == {"const": "2001", "title": "Code", "type": "string"}
        assert created["properties"]["data"]["$ref"].endswith("/TransferOrderOut")
        creates = [op for _, _, op in _operations() if "201" in op["responses"]]
        assert len(creates) == 23

    def test_no_content_actions_are_2004(self) -> None:
        status, response = _success("/web/v1/consumer/security/ip-whitelist/enable")
        assert status == "200"
        assert response["content"]["application/json"]["schema"]["$ref"].endswith("/NoContent")
        assert _schema("NoContent")["properties"]["data"] == {"title": "Data", "type": "null"}

    def test_partner_roles_delete_is_a_bare_204(self) -> None:
        status, response = _success("/web/v1/partner/roles/delete")
        assert status == "204" and "content" not in response
        status, response = _success("/web/v1/consumer/roles/delete")
        assert status == "200"
        assert response["content"]["application/json"]["schema"]["$ref"].endswith("/NoContent")

    @pytest.mark.parametrize(
        ("path", "item"),
        [
            ("/web/v1/consumer/constants/countries", "CountryOut"),
            ("/web/v1/consumer/constants/timezones", "TimezoneOut"),
            ("/web/v1/partner/roles/permissions/tree", "PermissionNodeOut"),
        ],
    )
    def test_constants_and_the_tree_are_typed(self, path: str, item: str) -> None:
        _, response = _success(path, "get")
        ref = response["content"]["application/json"]["schema"]["$ref"]
        data = _schema(ref.rsplit("/", 1)[-1])["properties"]["data"]
        assert data["items"]["$ref"].endswith("/" + item)
        assert _schema(item)["additionalProperties"] is False

    def test_every_answer_declares_its_headers(self) -> None:
        for path, _, operation in _operations():
            for status, response in operation["responses"].items():
                headers = response["headers"]
                assert headers["Cache-Control"]["$ref"].endswith("/CacheControl"), (path, status)
                assert headers["X-Request-Id"]["$ref"].endswith("/XRequestId"), (path, status)


class TestEnumObjects:
    @pytest.mark.parametrize(
        "enum",
        [c for c in vars(enums).values() if isinstance(c, type) and issubclass(c, WireEnum)][1:],
        ids=lambda c: c.__name__,
    )
    def test_real_values(self, enum: type[WireEnum]) -> None:
        schema = _schema(f"{enum.__name__}Object")
        properties = schema["properties"]
        assert properties["code"]["enum"] == [m.value for m in enum]
        assert properties["value"]["enum"] == [m.info.value for m in enum]
        assert set(properties["label"]["enum"]) == {m.info.label for m in enum}
        assert schema["required"] == ["code", "value", "label", "description"]
        assert schema["additionalProperties"] is False

    def test_fields_use_them(self) -> None:
        assert _schema("ProfileOut")["properties"]["accountStatus"]["$ref"].endswith(
            "/AccountStatusObject"
        )
        mfa = _schema("LoginInitiateOut")["properties"]["mfaMethods"]
        assert mfa["items"]["$ref"].endswith("/MfaMethodObject")


class TestErrors:
    def test_every_operation_publishes_its_error_codes_by_status(self) -> None:
        codes_by_status: dict[str, set[str]] = {}
        for path, method, operation in _operations():
            assert operation["x-error-codes"], (path, method)
            listed = set()
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    continue
                schema = response["content"]["application/json"]["schema"]
                assert schema["allOf"][0]["$ref"].endswith("/ErrorEnvelope")
                codes = schema["allOf"][1]["properties"]["code"]["enum"]
                assert all(f"`{code}`" in response["description"] for code in codes)
                listed |= set(codes)
                codes_by_status.setdefault(status, set()).update(codes)
            assert listed == set(operation["x-error-codes"]), (path, method)
        assert codes_by_status["401"] >= {"ACCESS.TOKEN_MISSING", "ACCESS.TOKEN_INVALID"}
        assert "429" in codes_by_status and "413" in codes_by_status
        assert _schema("ErrorEnvelope")["properties"]["data"] == {"title": "Data", "type": "null"}

    @pytest.mark.parametrize("portal", PORTALS)
    def test_route_and_dependency_codes(self, portal: str) -> None:
        paths = document()["paths"]
        transfer = "transfer" if portal == "consumer" else "transfers"
        create = paths[f"/web/v1/{portal}/{transfer}/command/create"]["post"]["x-error-codes"]
        assert {
            "WALLET.INSUFFICIENT_BALANCE",
            "REQUEST.IDEMPOTENCY_CONFLICT",
            "ACCESS.TOKEN_MISSING",
            "ACCESS.PERMISSION_DENIED",
            "ACCESS.PORTAL_CODE_INVALID",
            "VALIDATION.INVALID_PARAMETER",
        } <= set(create)
        countries = paths[f"/web/v1/{portal}/constants/countries"]["get"]["x-error-codes"]
        assert "ACCESS.TOKEN_MISSING" not in countries  # public reference data
        assert "ACCESS.PORTAL_CODE_INVALID" in countries


class TestRequestRules:
    def test_amounts(self) -> None:
        amount = _schema("TransferCreateIn")["properties"]["amount"]
        string, number = amount["anyOf"]
        assert string == {"type": "string", "pattern": r"^[0-9]{1,12}(\.[0-9]{1,6})?$"}
        assert number["exclusiveMinimum"] == 0

    def test_permission_codes_and_scopes(self) -> None:
        scopes = _schema("ApiKeyCreateIn")["properties"]["scopes"]
        assert scopes["items"]["enum"] == list(all_codes())
        codes = _schema("RolePermissionsIn")["properties"]["permissionCodes"]
        assert codes["items"]["enum"] == list(all_codes())

    def test_emails(self) -> None:
        for name, field in [
            ("LoginInitiateIn", "email"),
            ("RegisterInitiateIn", "email"),
            ("PasswordForgotIn", "email"),
            ("InvitationCreateIn", "email"),
        ]:
            schema = _schema(name)["properties"][field]
            assert (schema["type"], schema["format"], schema["maxLength"]) == (
                "string",
                "email",
                320,
            )
        payee = _schema("TransferCreateIn")["properties"]["toAccountEmail"]["anyOf"][0]
        assert payee["format"] == "email"

    def test_required_headers_and_the_bearer_scheme(self) -> None:
        operation = document()["paths"]["/web/v1/consumer/profile"]["get"]
        [portal_code] = [p for p in operation["parameters"] if p["name"] == "x-portal-access-code"]
        assert portal_code["required"] is True and portal_code["schema"]["type"] == "string"
        assert operation["security"] == [{"bearerToken": []}]
        assert "authorization" not in {p["name"] for p in operation["parameters"]}
