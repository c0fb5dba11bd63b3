"""Every response case of the onboarding document's three tables, with its documented status,
and the rules around them: a partner sees only its customers, the ID number is stored sealed,
found by its blind index and never logged, the same payload twice is one customer."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import String, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.api_keys import service as api_key_service
from portico.api_keys.models import ApiKey
from portico.files.models import StoredFile
from portico.institutions.models import Institution
from portico.models import Base
from portico.onboarding.models import KycProfile, Subscription
from portico.rel.models import RelContact
from portico.runtime import runtime_of
from portico.workspaces import permissions
from tests.factories.accounts import create_account
from tests.factories.oauth import mint_token
from tests.factories.workspaces import owned_workspace
from tests.support.mail import Outbox
from tests.support.oauth import IssuerApi, Realm, client_token
from tests.support.onboarding import (
    JPEG,
    PNG,
    PREFIX,
    Onboarding,
    assert_answer,
    b64,
    document,
    onboarding_client,
    payload,
)


async def onboarded(partner: Onboarding, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = assert_answer(
        await partner.onboard(payload(**overrides)), 200, "SUCCESS"
    )
    return data


async def activate(session: AsyncSession, customer_id: str) -> None:
    """As the customer's first sign-in does (tested end to end elsewhere)."""
    account_id = (
        await session.execute(select(Account.id).where(Account.biz_id == customer_id))
    ).scalar_one()
    await session.execute(
        update(Subscription).where(Subscription.account_id == account_id).values(status="ACTIVE")
    )
    await session.commit()


async def corrupt_subscription(session: AsyncSession, customer_id: str) -> None:
    """A subscription row no code writes (a bad manual edit): reading it fails for real."""
    account_id = (
        await session.execute(select(Account.id).where(Account.biz_id == customer_id))
    ).scalar_one()
    await session.execute(
        update(Subscription).where(Subscription.account_id == account_id).values(status="BROKEN")
    )
    await session.commit()


# --- customer lookup: every case is HTTP 200 but authentication ------------------------------


class TestLookup:
    async def test_not_found(self, partner: Onboarding) -> None:
        data = assert_answer(await partner.lookup(document()), 200, "CUSTOMER_NOT_FOUND")
        assert data is None

    async def test_subscription_pending_then_success(
        self, partner: Onboarding, session: AsyncSession
    ) -> None:
        customer = await onboarded(partner)
        pending = assert_answer(await partner.lookup(document()), 200, "SUBSCRIPTION_PENDING")
        assert pending["customerId"] == customer["customerId"]
        assert pending["subscription"]["status"] == "PENDING"
        await activate(session, customer["customerId"])
        found = assert_answer(await partner.lookup(document()), 200, "SUCCESS")
        assert found == {
            "customerId": customer["customerId"],
            "customerStatus": "ACTIVE",
            "kycLevel": "STANDARD",
            "screeningStatus": "CLEAR",
            "subscription": {**found["subscription"], "status": "ACTIVE"},
        }

    async def test_the_number_is_compared_normalised(self, partner: Onboarding) -> None:
        await onboarded(partner)
        for number in ("123456789", "123.456.789", "123 456 789", "１２３４５６７８９"):
            body = {**document(), "idNumber": number, "idCountry": "gbr", "idType": "passport"}
            assert_answer(await partner.lookup(body), 200, "SUBSCRIPTION_PENDING")
        other = {**document(), "idNumber": "123456780"}
        assert_answer(await partner.lookup(other), 200, "CUSTOMER_NOT_FOUND")
        other_type = {**document(), "idType": "NATIONAL_ID"}
        assert_answer(await partner.lookup(other_type), 200, "CUSTOMER_NOT_FOUND")

    @pytest.mark.parametrize(
        ("body", "fields"),
        [
            ({}, ["idType", "idNumber", "idCountry"]),
            ({"idType": "PASSPORT", "idNumber": " ", "idCountry": "GB"}, ["idNumber"]),
            ({"idType": "SHOE_SIZE", "idNumber": "1", "idCountry": "GB"}, ["idType"]),
            ({"idType": "PASSPORT", "idNumber": "1", "idCountry": "XX"}, ["idCountry"]),
            ({"idType": "PASSPORT", "idNumber": "---", "idCountry": "GB"}, ["idNumber"]),
            ({"idType": 7, "idNumber": "1", "idCountry": "GB"}, ["idType"]),
            ({"idType": "PASSPORT", "idNumber": "1", "idCountry": "GB", "x": 1}, ["x"]),
            ([1, 2], ["body"]),
            ("text", ["body"]),
        ],
    )
    async def test_bad_request_is_200_naming_the_fields(
        self, partner: Onboarding, body: Any, fields: list[str]
    ) -> None:
        assert_answer(await partner.lookup(body), 200, "BAD_REQUEST", fields=fields)

    async def test_not_json_is_a_bad_request(self, partner: Onboarding) -> None:
        response = await partner.http.post(
            f"{PREFIX}/customer/lookup",
            content=b"{not json",
            headers={**partner.headers(), "Content-Type": "application/json"},
        )
        assert_answer(response, 200, "BAD_REQUEST", fields=["body"])

    async def test_internal_error_is_200(self, partner: Onboarding, session: AsyncSession) -> None:
        customer = await onboarded(partner)
        await corrupt_subscription(session, customer["customerId"])
        assert_answer(await partner.lookup(document()), 200, "INTERNAL_ERROR")

    async def test_flagged_customers(
        self, partner: Onboarding, issuer_api: IssuerApi, session: AsyncSession
    ) -> None:
        customer = await onboarded(partner)
        await activate(session, customer["customerId"])
        kyc = f"/consumers/{customer['customerId']}/kyc"
        for flag in ("UNDER_INVESTIGATION", "BLOCKED"):
            flagged = await issuer_api.post(f"{kyc}:flag", {"complianceStatus": flag})
            assert flagged.status_code == 200, flagged.text
            assert flagged.json()["complianceStatus"] == flag
            assert assert_answer(await partner.lookup(document()), 200, flag) is None
        cleared = await issuer_api.post(f"{kyc}:clear", {"reason": "false positive"})
        assert cleared.json()["complianceStatus"] == "NONE"
        assert_answer(await partner.lookup(document()), 200, "SUCCESS")

    async def test_another_partners_customer_is_not_found(
        self, partner: Onboarding, other_partner: Onboarding, issuer_api: IssuerApi
    ) -> None:
        customer = await onboarded(partner)
        assert_answer(await other_partner.lookup(document()), 200, "CUSTOMER_NOT_FOUND")
        # flagged or not: nothing tells the other partner the person is a customer
        await issuer_api.post(
            f"/consumers/{customer['customerId']}/kyc:flag", {"complianceStatus": "BLOCKED"}
        )
        assert_answer(await other_partner.lookup(document()), 200, "CUSTOMER_NOT_FOUND")


# --- authentication and authorisation (every route) -------------------------------------------


ROUTES = ["lookup", "onboard", "status"]


async def _call(client: Onboarding, route: str, token: str | None = None) -> httpx.Response:
    if route == "lookup":
        return await client.lookup(document(), token=token)
    if route == "onboard":
        return await client.onboard(payload(), token=token)
    return await client.status("AAAAAAAAAAAAAAAA", token=token)


class TestAuthentication:
    @pytest.mark.parametrize("route", ROUTES)
    @pytest.mark.parametrize("token", [None, "garbage", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"])
    async def test_no_or_an_invalid_token_is_401(
        self, http: httpx.AsyncClient, route: str, token: str | None
    ) -> None:
        response = await _call(Onboarding(http, None), route, token)
        assert_answer(response, 401, "AUTHENTICATION_FAILED")
        assert response.headers["www-authenticate"].startswith('Bearer realm="onboarding"')

    @pytest.mark.parametrize("route", ROUTES)
    async def test_a_disabled_key_is_401_at_once(
        self,
        app: Any,
        http: httpx.AsyncClient,
        session: AsyncSession,
        realm: Realm,
        route: str,
    ) -> None:
        client, credentials = await onboarding_client(app, http, session, realm, email="p@x.io")

        await session.execute(
            update(ApiKey).where(ApiKey.key_id == credentials.client_id).values(status="DISABLED")
        )
        await session.commit()
        assert_answer(await _call(client, route), 401, "AUTHENTICATION_FAILED")

    @pytest.mark.parametrize("route", ROUTES)
    async def test_an_issuer_token_is_403(
        self, http: httpx.AsyncClient, issuer_api: IssuerApi, route: str
    ) -> None:
        response = await _call(Onboarding(http, issuer_api.token), route)
        assert_answer(response, 403, "PARTNER_KEY_REQUIRED")

    async def test_a_consumers_key_is_403(
        self, app: Any, http: httpx.AsyncClient, session: AsyncSession, realm: Realm
    ) -> None:

        consumer = await create_account(session, institution_id=realm.institution_id)
        workspace = await owned_workspace(session, owner=consumer)
        key, _ = await api_key_service.create_key(
            session,
            runtime_of(app).auth_kit,
            workspace=workspace,
            held=frozenset(permissions.all_codes()),
            created_by=consumer.biz_id,
            name="mine",
            scopes=["onboarding:read", "onboarding:write"],
            ip_whitelist=None,
        )
        await session.commit()
        tokens = await mint_token(session, app, institution_id=realm.institution_id, api_key=key)
        await session.commit()
        client = Onboarding(http, tokens.access_token)
        assert_answer(await client.lookup(document()), 403, "PARTNER_KEY_REQUIRED")

    @pytest.mark.parametrize(
        ("scopes", "allowed"),
        [(["onboarding:read"], {"lookup", "status"}), (["onboarding:write"], {"onboard"})],
    )
    async def test_each_route_needs_its_scope(
        self,
        app: Any,
        http: httpx.AsyncClient,
        session: AsyncSession,
        realm: Realm,
        scopes: list[str],
        allowed: set[str],
    ) -> None:
        client, _ = await onboarding_client(
            app, http, session, realm, email="scoped@x.io", scopes=scopes
        )
        for route in ROUTES:
            response = await _call(client, route)
            if route in allowed:
                assert response.status_code in (200, 400), response.text
            else:
                assert_answer(response, 403, "INSUFFICIENT_SCOPE")

    async def test_the_token_endpoint_grants_the_onboarding_scopes(
        self, app: Any, http: httpx.AsyncClient, session: AsyncSession, realm: Realm
    ) -> None:
        _, credentials = await onboarding_client(app, http, session, realm, email="t@x.io")
        token = await client_token(http, realm, credentials)
        assert token["scope"] == "onboarding:read onboarding:write"
        client = Onboarding(http, token["access_token"])
        assert_answer(await client.lookup(document()), 200, "CUSTOMER_NOT_FOUND")


# --- customer onboarding --------------------------------------------------------------------


class TestOnboarding:
    async def test_success_creates_everything_in_one_go(
        self, partner: Onboarding, session: AsyncSession, outbox: Outbox
    ) -> None:
        data = assert_answer(await partner.onboard(payload()), 200, "SUCCESS", fields=[])
        assert data["created"] is True and data["activationMailSent"] is True
        assert data["customerStatus"] == "ACTIVE"
        assert data["subscription"]["status"] == "PENDING"
        assert data["subscription"]["activatedAt"] is None
        account = (
            await session.execute(select(Account).where(Account.biz_id == data["customerId"]))
        ).scalar_one()
        assert (account.email, account.phone, account.name) == (
            "ada@example.com",
            "+442079460958",
            "Ada Lovelace",
        )
        profile = (
            await session.execute(select(KycProfile).where(KycProfile.account_id == account.id))
        ).scalar_one()
        assert (profile.nationality, profile.id_type, profile.id_country) == (
            "GB",
            "PASSPORT",
            "GB",
        )
        assert (profile.kyc_level, profile.screening_status) == ("STANDARD", "CLEAR")
        assert profile.partner_kyc_reference == "KYC-2026-0001"
        assert profile.id_back_file_id is None
        files = {
            f.purpose: f
            for f in (
                await session.execute(
                    select(StoredFile).where(
                        StoredFile.id.in_([profile.id_front_file_id, profile.face_file_id])
                    )
                )
            ).scalars()
        }
        assert files["KYC_ID_FRONT"].content_type == "image/jpeg"
        assert files["KYC_FACE"].content_type == "image/png"
        contact = (
            await session.execute(select(RelContact).where(RelContact.account_id == account.id))
        ).scalar_one()
        assert (contact.email, contact.given_name, contact.family_name) == (
            "ada@example.com",
            "Ada",
            "Lovelace",
        )
        mail = await outbox.last("ada@example.com")
        assert "/consumer/reset-password?token=" in mail.get_content()

    async def test_same_payload_twice_is_one_customer(
        self, partner: Onboarding, session: AsyncSession, outbox: Outbox
    ) -> None:
        first = await onboarded(partner)
        second = await onboarded(partner)
        assert second["customerId"] == first["customerId"]
        assert second["subscription"] == first["subscription"]
        assert (second["created"], second["activationMailSent"]) == (False, False)
        for model in (Account, KycProfile, Subscription, RelContact):
            count = (await session.execute(select(func.count()).select_from(model))).scalar_one()
            assert count == (2 if model is Account else 1), model  # the partner and Ada
        files = (await session.execute(select(func.count()).select_from(StoredFile))).scalar_one()
        assert files == 2
        assert len(await outbox.messages("ada@example.com")) == 1

    async def test_a_known_customer_is_updated(
        self, partner: Onboarding, session: AsyncSession
    ) -> None:
        first = await onboarded(partner)
        updated = await onboarded(
            partner,
            phone="020 7946 0000",
            idExpiryDate="2035-06-30",
            kycLevel="ENHANCED",
            faceImage=b64(JPEG),
            idBackImage=b64(PNG),
            address={"line1": "1 New Road", "city": "Leeds", "country": "GB"},
        )
        assert updated["customerId"] == first["customerId"] and updated["created"] is False
        assert updated["kycLevel"] == "ENHANCED"
        profile = (await session.execute(select(KycProfile))).scalar_one()
        assert str(profile.id_expiry_date) == "2035-06-30"
        kinds = sorted(
            (await session.execute(select(StoredFile.purpose, StoredFile.content_type))).all()
        )
        assert kinds == [
            ("KYC_FACE", "image/jpeg"),
            ("KYC_ID_BACK", "image/png"),
            ("KYC_ID_FRONT", "image/jpeg"),
        ]

    async def test_another_partner_subscribes_the_same_customer(
        self, partner: Onboarding, other_partner: Onboarding
    ) -> None:
        first = await onboarded(partner)
        second = await onboarded(other_partner)
        assert second["customerId"] == first["customerId"]
        assert second["subscription"]["subscriptionId"] != first["subscription"]["subscriptionId"]
        assert_answer(await other_partner.lookup(document()), 200, "SUBSCRIPTION_PENDING")

    async def test_a_registered_consumer_with_the_email_gets_the_profile(
        self, partner: Onboarding, session: AsyncSession, realm: Realm, outbox: Outbox
    ) -> None:
        consumer = await create_account(
            session, institution_id=realm.institution_id, email="ada@example.com"
        )
        await session.commit()
        data = await onboarded(partner)
        assert data["customerId"] == consumer.biz_id
        assert (data["created"], data["activationMailSent"]) == (True, False)
        assert await outbox.messages("ada@example.com") == []

    @pytest.mark.parametrize("flag", ["UNDER_INVESTIGATION", "BLOCKED"])
    async def test_flagged_customer_is_406(
        self, partner: Onboarding, issuer_api: IssuerApi, flag: str
    ) -> None:
        customer = await onboarded(partner)
        await issuer_api.post(
            f"/consumers/{customer['customerId']}/kyc:flag", {"complianceStatus": flag}
        )
        assert assert_answer(await partner.onboard(payload()), 406, flag) is None

    async def test_mandatory_fields_missing_are_all_named(self, partner: Onboarding) -> None:
        body = payload(givenName=None, dateOfBirth=None, phone="  ", faceImage=None)
        del body["email"]
        body["address"] = {"line1": "", "city": "London", "country": None}
        assert_answer(
            await partner.onboard(body),
            400,
            "MANDATORY_FIELD_MISSING",
            fields=[
                "givenName",
                "dateOfBirth",
                "email",
                "phone",
                "faceImage",
                "address.line1",
                "address.country",
            ],
        )
        assert_answer(
            await partner.onboard({}),
            400,
            "MANDATORY_FIELD_MISSING",
            fields=[
                "givenName",
                "familyName",
                "dateOfBirth",
                "nationality",
                "idType",
                "idNumber",
                "idCountry",
                "idExpiryDate",
                "email",
                "phone",
                "address",
                "kycLevel",
                "screeningStatus",
                "idFrontImage",
                "faceImage",
            ],
        )

    @pytest.mark.parametrize(
        ("overrides", "fields"),
        [
            ({"nationality": "Atlantis"}, ["nationality"]),
            ({"idCountry": "ZZ"}, ["idCountry"]),
            ({"idType": "LIBRARY_CARD"}, ["idType"]),
            ({"gender": "X"}, ["gender"]),
            ({"kycLevel": "GOLD"}, ["kycLevel"]),
            ({"screeningStatus": "MAYBE"}, ["screeningStatus"]),
            ({"phone": "12"}, ["phone"]),
            ({"phone": "+1 555"}, ["phone"]),
            (
                {"address": {"line1": "x", "city": "y", "country": "QQQ"}},
                ["address.country"],
            ),
            ({"nationality": "XX", "idType": "NOPE"}, ["nationality", "idType"]),
        ],
    )
    async def test_invalid_master_data_names_the_fields(
        self, partner: Onboarding, overrides: dict[str, Any], fields: list[str]
    ) -> None:
        assert_answer(
            await partner.onboard(payload(**overrides)), 400, "INVALID_MASTER_DATA", fields=fields
        )

    async def test_the_institutions_id_type_list(
        self, partner: Onboarding, session: AsyncSession, realm: Realm
    ) -> None:
        await session.execute(
            update(Institution)
            .where(Institution.id == realm.institution_id)
            .values(id_types=["NATIONAL_ID"])
        )
        await session.commit()
        assert_answer(
            await partner.onboard(payload()), 400, "INVALID_MASTER_DATA", fields=["idType"]
        )
        assert_answer(await partner.onboard(payload(idType="national_id")), 200, "SUCCESS")

    @pytest.mark.parametrize(
        ("overrides", "fields"),
        [
            ({"dateOfBirth": "1990-02-30"}, ["dateOfBirth"]),
            ({"dateOfBirth": 19901210}, ["dateOfBirth"]),
            ({"dateOfBirth": "2999-01-01"}, ["dateOfBirth"]),
            ({"idExpiryDate": "2001-01-01", "idIssueDate": None}, ["idExpiryDate"]),
            ({"idIssueDate": "2031-01-01"}, ["idIssueDate"]),
            ({"email": "not-an-email"}, ["email"]),
            ({"idNumber": "--//--"}, ["idNumber"]),
            ({"idFrontImage": "%%%notbase64"}, ["idFrontImage"]),
            ({"faceImage": b64(b"MZ\x90\x00 an executable")}, ["faceImage"]),
            ({"faceImage": b64(b"%PDF-1.7 a pdf is no face")}, ["faceImage"]),
            ({"givenName": 42}, ["givenName"]),
            ({"givenName": "x" * 101}, ["givenName"]),
            ({"address": "London"}, ["address"]),
            (
                {"address": {"line1": "x", "city": "y", "country": "GB", "zip": "1"}},
                ["address.zip"],
            ),
            ({"unknownField": True}, ["unknownField"]),
            ({"extraData": {"blob": "x" * 9000}}, ["extraData"]),
        ],
    )
    async def test_invalid_values_name_the_fields(
        self, partner: Onboarding, overrides: dict[str, Any], fields: list[str]
    ) -> None:
        assert_answer(
            await partner.onboard(payload(**overrides)), 400, "INVALID_FIELD_VALUE", fields=fields
        )

    async def test_update_changing_the_identity_fails(
        self, partner: Onboarding, session: AsyncSession
    ) -> None:
        await onboarded(partner)
        response = await partner.onboard(
            payload(givenName="Augusta", dateOfBirth="1991-01-01", email="other@example.com")
        )
        assert_answer(
            response, 409, "CUSTOMER_UPDATE_FAILED", fields=["givenName", "dateOfBirth", "email"]
        )
        # nothing was kept
        profile = (await session.execute(select(KycProfile))).scalar_one()
        assert profile.given_name == "Ada"
        # a different spelling of the same name is the same identity
        assert_answer(await partner.onboard(payload(givenName=" ADA ")), 200, "SUCCESS")

    async def test_an_email_of_another_customer_fails(self, partner: Onboarding) -> None:
        await onboarded(partner)
        response = await partner.onboard(payload(idNumber="999", email="ADA@example.com"))
        assert_answer(response, 409, "CUSTOMER_UPDATE_FAILED", fields=["email"])

    async def test_internal_error_is_502_and_keeps_nothing(
        self, partner: Onboarding, session: AsyncSession
    ) -> None:
        customer = await onboarded(partner)
        await corrupt_subscription(session, customer["customerId"])
        files_before = (
            await session.execute(select(func.count()).select_from(StoredFile))
        ).scalar_one()
        response = await partner.onboard(payload(faceImage=b64(JPEG)))
        assert_answer(response, 502, "INTERNAL_ERROR")
        files_after = (
            await session.execute(select(func.count()).select_from(StoredFile))
        ).scalar_one()
        assert files_after == files_before

    async def test_a_body_over_the_limit_is_413(self, partner: Onboarding) -> None:
        response = await partner.onboard(payload(idFrontImage="A" * (17 * 1024 * 1024)))
        assert_answer(response, 413, "BODY_TOO_LARGE")


# --- subscription status --------------------------------------------------------------------


class TestSubscriptionStatus:
    async def test_success(self, partner: Onboarding, session: AsyncSession) -> None:
        customer = await onboarded(partner)
        data = assert_answer(await partner.status(customer["customerId"]), 200, "SUCCESS")
        assert data["subscription"]["status"] == "PENDING"
        await activate(session, customer["customerId"])
        data = assert_answer(await partner.status(customer["customerId"]), 200, "SUCCESS")
        assert data["subscription"]["status"] == "ACTIVE"

    async def test_not_subscribed(self, partner: Onboarding, other_partner: Onboarding) -> None:
        customer = await onboarded(partner)
        response = await other_partner.status(customer["customerId"])
        assert assert_answer(response, 200, "CUSTOMER_NOT_SUBSCRIBED") is None

    async def test_not_found(
        self, partner: Onboarding, session: AsyncSession, realm: Realm
    ) -> None:
        assert_answer(await partner.status("AAAAAAAAAAAAAAAA"), 200, "CUSTOMER_NOT_FOUND")
        # a consumer never onboarded is no customer of the data platform
        consumer = await create_account(session, institution_id=realm.institution_id)
        await session.commit()
        assert_answer(await partner.status(consumer.biz_id), 200, "CUSTOMER_NOT_FOUND")

    @pytest.mark.parametrize("customer_id", [None, "", "a-b", "x" * 65])
    async def test_bad_request_is_400(self, partner: Onboarding, customer_id: str | None) -> None:
        assert_answer(await partner.status(customer_id), 400, "BAD_REQUEST", fields=["customerId"])

    async def test_internal_error_is_500(self, partner: Onboarding, session: AsyncSession) -> None:
        customer = await onboarded(partner)
        await corrupt_subscription(session, customer["customerId"])
        assert_answer(await partner.status(customer["customerId"]), 500, "INTERNAL_ERROR")


# --- the ID number: sealed, blind-indexed, never logged ---------------------------------------


async def test_the_id_number_is_never_stored_or_logged_in_clear(
    partner: Onboarding, session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_number = "ZX9876543"
    await onboarded(partner, idNumber=secret_number)
    await partner.lookup({**document(), "idNumber": secret_number})
    await partner.onboard(payload(idNumber=secret_number, givenName="Someone Else"))
    # every log line of those requests, the database driver's statements and values included
    assert secret_number not in caplog.text
    profile = (await session.execute(select(KycProfile))).scalar_one()
    assert profile.id_number_sealed and secret_number not in profile.id_number_sealed
    assert profile.id_blind_index and len(profile.id_blind_index) == 64
    for table in ("kyc_profiles", "accounts", "rel_contacts", "issuer_audit_events"):
        columns = Base.metadata.tables[table].columns
        for column in columns:
            hits = await session.execute(
                select(func.count())
                .select_from(Base.metadata.tables[table])
                .where(cast(column, String).contains(secret_number))
            )
            assert hits.scalar_one() == 0, f"{table}.{column.name}"


async def test_the_openapi_document_describes_the_api(http: httpx.AsyncClient) -> None:
    document_ = (await http.get("/openapi.json")).json()
    lookup = document_["paths"][f"{PREFIX}/customer/lookup"]["post"]
    assert sorted(lookup["responses"]) == ["200", "400", "401", "403", "413", "500", "503"]
    onboard = document_["paths"][f"{PREFIX}/onBoarding/customer"]["post"]
    assert sorted(onboard["responses"]) == [
        "200",
        "400",
        "401",
        "403",
        "406",
        "409",
        "413",
        "500",
        "502",
        "503",
    ]
    status = document_["paths"][f"{PREFIX}/subscription/status"]["get"]
    assert sorted(status["responses"]) == ["200", "400", "401", "403", "500", "503"]
    schema = document_["components"]["schemas"]["CustomerOnboardingIn"]
    assert "idNumber" in schema["required"] and "address" in schema["required"]
    assert onboard["security"] == [{"partnerClientCredentials": ["onboarding:write"]}]
