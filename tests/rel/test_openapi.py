"""The OpenAPI document describes the `rel` routes truthfully (the answers themselves are
checked against it by the test client, tests/conformance.py)."""

from __future__ import annotations

from typing import Any

from tests.support.conformance import document

PREFIX = "/issuers/{issuerId}/rel"


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = document()["paths"]
    return {path[len(PREFIX) :]: item for path, item in paths.items() if path.startswith(PREFIX)}


def test_every_route_and_nothing_else() -> None:
    routes = {(method.upper(), path) for path, item in _paths().items() for method in item}
    assert routes == {
        ("GET", "/contacts"),
        ("PUT", "/contacts"),
        ("POST", "/contacts"),
        ("GET", "/contacts/{id}"),
        ("DELETE", "/contacts/{id}"),
        ("GET", "/contacts/{id}/versions"),
        ("POST", "/addresses"),
        ("GET", "/addresses/{id}"),
        ("POST", "/phonenumbers"),
        ("GET", "/phonenumbers/{id}"),
        ("POST", "/search/address"),
        ("POST", "/search/phonenumbers"),
        ("POST", "/search/organisations"),
        ("GET", "/options/addresses"),
        ("GET", "/organisations"),
        ("POST", "/organisations"),
        ("GET", "/organisations/{id}"),
        ("PUT", "/organisations/{id}"),
        ("DELETE", "/organisations/{id}"),
        ("GET", "/organisations/{id}/versions"),
    }


def test_scopes_errors_pages_and_shapes() -> None:
    paths = _paths()
    spec = document()
    flow = spec["components"]["securitySchemes"]["issuerClientCredentials"]["flows"]
    assert {"rel:contacts:read", "rel:contacts:write"} <= set(flow["clientCredentials"]["scopes"])
    for path, item in paths.items():
        for method, operation in item.items():
            scope = "rel:contacts:read" if method == "get" else "rel:contacts:write"
            if method == "post" and (path.startswith("/search/") or path == "/contacts"):
                scope = "rel:contacts:read"
            assert operation["security"] == [{"issuerClientCredentials": [scope]}], (path, method)
            assert {"400", "401", "403", "404"} <= set(operation["responses"])
            assert "422" not in operation["responses"]
            error = operation["responses"]["403"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorOut"}
    for path in ("/contacts", "/organisations"):
        listing = paths[path]["get"]
        headers = {p["name"] for p in listing["parameters"] if p["in"] == "header"}
        assert {"x-page", "x-page-size"} <= headers
        assert set(listing["responses"]["200"]["headers"]) == {"x-page", "x-page-size"}
    deleted = paths["/contacts/{id}"]["delete"]["responses"]["204"]
    assert "content" not in deleted
    assert "200" in paths["/organisations/{id}"]["delete"]["responses"]
    contact = spec["components"]["schemas"]["RelContact"]["properties"]
    assert list(contact) == [
        "id",
        "version",
        "email",
        "is_guest",
        "audience",
        "tags",
        "given_name",
        "additional_name",
        "family_name",
        "organisations",
        "billing",
        "shipping",
        "phone_numbers",
        "metadata",
        "created_at",
        "updated_at",
        "deleted_at",
    ]
    assert set(spec["components"]["schemas"]["RelFieldList"]["properties"]) == {
        "required",
        "allowed",
        "country_code",
    }
    assert set(spec["components"]["schemas"]["RelVersion"]["properties"]) == {
        "version",
        "created_at",
    }
