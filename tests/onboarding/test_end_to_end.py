"""The issue's "Done when" scenario over HTTP, each step through the route a real client uses:
the partner makes an API key in the partner portal and gets a token at the token endpoint; it
looks a customer up (not found), onboards it and looks it up again (pending); the customer sets
its password from the activation mail and signs in to the consumer portal, and the
subscription is ACTIVE; the issuer reads the contact in `rel`, flags the customer BLOCKED (the
partner's lookup says so), deletes the consumer, and `rel` shows the contact anonymised."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from portico.enums import AccountPortal
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes
from tests.support.mail import Outbox
from tests.support.oauth import IssuerApi, Realm, client_token
from tests.support.onboarding import Onboarding, assert_answer, document, payload
from tests.support.portal import Portal, assert_ok


async def test_partner_onboards_a_customer_who_signs_in_then_is_blocked_and_deleted(
    app: Any,
    http: httpx.AsyncClient,
    session: AsyncSession,
    institution: InstitutionCodes,
    realm: Realm,
    issuer_api: IssuerApi,
    outbox: Outbox,
) -> None:
    # the partner, approved, creates an API key with the onboarding scopes in its portal
    await create_account(
        session,
        institution_id=realm.institution_id,
        portal=AccountPortal.PARTNER,
        email="ops@partner.example",
        pending_approval=False,
    )
    await session.commit()
    partner_portal = Portal(http, AccountPortal.PARTNER, institution.partner, outbox)
    partner_access = (await partner_portal.login("ops@partner.example"))["accessToken"]
    grantable = assert_ok(
        await partner_portal.get("/api-keys/available-permissions", token=partner_access)
    )
    assert {"onboarding:read", "onboarding:write"} <= set(grantable)
    key = assert_ok(
        await partner_portal.post(
            "/api-keys",
            {"name": "onboarding server", "scopes": ["onboarding:read", "onboarding:write"]},
            token=partner_access,
        ),
        "2001",
        201,
    )

    # its server gets a token at the token endpoint
    credentials = type("Key", (), {"client_id": key["apiKeyId"], "secret": key["secret"]})()
    token = await client_token(http, realm, credentials)
    assert token["scope"] == "onboarding:read onboarding:write"
    server = Onboarding(http, token["access_token"])

    # lookup: not found; onboarding; lookup: pending
    assert_answer(await server.lookup(document()), 200, "CUSTOMER_NOT_FOUND")
    onboarded = assert_answer(await server.onboard(payload()), 200, "SUCCESS")
    customer_id = onboarded["customerId"]
    assert onboarded["subscription"]["status"] == "PENDING"
    pending = assert_answer(await server.lookup(document()), 200, "SUBSCRIPTION_PENDING")
    assert pending["customerId"] == customer_id

    # the customer sets its password from the activation mail, once, and signs in
    consumer_portal = Portal(http, AccountPortal.CONSUMER, institution.consumer, outbox)
    mail = (await outbox.last("ada@example.com")).get_content()
    match = re.search(r"/consumer/reset-password\?token=([A-Za-z0-9_-]+)", mail)
    assert match, mail
    activation = {"token": match.group(1), "newPassword": "Ada-Lovelace-1815"}
    assert_ok(await consumer_portal.post("/auth/password/reset", activation), "2004")
    again = await consumer_portal.post("/auth/password/reset", activation)
    assert again.status_code == 400, again.text  # single use
    assert_answer(await server.lookup(document()), 200, "SUBSCRIPTION_PENDING")
    consumer_access = (await consumer_portal.login("ada@example.com", "Ada-Lovelace-1815"))[
        "accessToken"
    ]
    profile = assert_ok(await consumer_portal.get("/profile", token=consumer_access))
    assert profile["accountEmail"] == "ada@example.com"

    # the subscription is ACTIVE
    active = assert_answer(await server.lookup(document()), 200, "SUCCESS")
    assert active["subscription"]["status"] == "ACTIVE"
    assert active["subscription"]["activatedAt"] is not None
    status = assert_answer(await server.status(customer_id), 200, "SUCCESS")
    assert status["subscription"]["status"] == "ACTIVE"

    # the issuer reads the customer's contact in the customer data store
    by_email = {"constraints": [{"key": "email", "operator": "in", "value": ["ada@example.com"]}]}
    contacts = await issuer_api.post("/rel/contacts", by_email)
    assert contacts.status_code == 200, contacts.text
    [contact] = contacts.json()
    assert (contact["given_name"], contact["family_name"]) == ("Ada", "Lovelace")
    assert contact["phone_numbers"]["primary"]["number"] == "+442079460958"
    assert contact["billing"]["primary"]["locality"] == "London"
    kyc = (await issuer_api.get(f"/consumers/{customer_id}/kyc")).json()
    assert kyc["idNumberMasked"] == "•••••6789"  # of "123 456-789", normalised
    assert [s["status"] for s in kyc["subscriptions"]] == ["ACTIVE"]

    # flagged BLOCKED: the partner's lookup says so, onboarding refuses
    flagged = await issuer_api.post(
        f"/consumers/{customer_id}/kyc:flag",
        {"complianceStatus": "BLOCKED", "reason": "sanctions list match"},
    )
    assert flagged.status_code == 200, flagged.text
    assert_answer(await server.lookup(document()), 200, "BLOCKED")
    assert_answer(await server.onboard(payload()), 406, "BLOCKED")

    # the issuer deletes the consumer: the contact in rel is anonymised, the partner finds nothing
    deleted = await issuer_api.post(f"/consumers/{customer_id}/operations:delete", {})
    assert deleted.json()["status"] == "SUCCESSFUL", deleted.text
    after = await issuer_api.get(f"/rel/contacts/{contact['id']}")
    assert after.status_code == 200, after.text
    assert after.json()["email"] == f"deleted-{contact['id']}@deleted.invalid"
    assert (after.json()["given_name"], after.json()["family_name"]) == (None, None)
    assert (await issuer_api.post("/rel/contacts", by_email)).json() == []
    assert_answer(await server.lookup(document()), 200, "CUSTOMER_NOT_FOUND")
    assert_answer(await server.status(customer_id), 200, "CUSTOMER_NOT_FOUND")
    assert (await issuer_api.get(f"/consumers/{customer_id}/kyc")).status_code == 404
