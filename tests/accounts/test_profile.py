"""Profile read and update."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.portal import Portal, assert_error, assert_ok

PROFILE_KEYS = [
    "bizId",
    "institutionBizId",
    "accountEmail",
    "accountPhone",
    "accountName",
    "accountRemark",
    "accountPortal",
    "accountStatus",
    "createdAt",
    "updatedAt",
    "defaultLanguage",
    "defaultTimezone",
    "defaultCountry",
]


class TestProfile:
    @pytest.mark.both_portals
    async def test_shape(self, portal: Portal, account: Any, institution: Any) -> None:
        tokens = await portal.sign_in(account)
        data = assert_ok(await portal.get("/profile", token=tokens["accessToken"]))
        assert list(data) == PROFILE_KEYS
        assert data["institutionBizId"] == institution.biz_id
        assert data["accountRemark"] is None and data["accountPhone"] is None
        assert data["accountStatus"] == {
            "code": "ACTIVE",
            "value": 10010202,
            "label": "Active",
            "description": "Account is active and usable",
        }
        expected_portal = {
            "CONSUMER": {
                "code": "CONSUMER",
                "value": 10010104,
                "label": "Consumer Portal",
                "description": "Consumer portal for end users",
            },
            "PARTNER": {
                "code": "PARTNER",
                "value": 10010103,
                "label": "Partner Portal",
                "description": "Partner portal for channel partners",
            },
        }[portal.portal.value]
        assert data["accountPortal"] == expected_portal
        assert data["createdAt"].endswith("Z") and len(data["bizId"]) == 16

    async def test_update(self, portal: Portal, account: Any) -> None:
        tokens = await portal.sign_in(account)
        before = assert_ok(await portal.get("/profile", token=tokens["accessToken"]))
        body = {
            "accountName": "Consumer Test User",
            "accountPhone": "+10000000001",
            "defaultLanguage": "en",
            "defaultTimezone": "Asia/Shanghai",
            "defaultCountry": "cn",
        }
        data = assert_ok(await portal.post("/profile/update", body, token=tokens["accessToken"]))
        assert (
            data["accountName"],
            data["accountPhone"],
            data["defaultTimezone"],
            data["defaultCountry"],
        ) == (
            "Consumer Test User",
            "+10000000001",
            "Asia/Shanghai",
            "CN",
        )
        assert data["updatedAt"] > before["updatedAt"]
        assert data["accountEmail"] == account.email
        again = assert_ok(await portal.get("/profile", token=tokens["accessToken"]))
        assert again == data

    async def test_partial_and_empty_update(self, portal: Portal, account: Any) -> None:
        tokens = await portal.sign_in(account)
        data = assert_ok(
            await portal.post(
                "/profile/update", {"accountName": "Only Name"}, token=tokens["accessToken"]
            )
        )
        assert data["accountName"] == "Only Name" and data["defaultTimezone"] == "UTC"
        assert_ok(await portal.post("/profile/update", {}, token=tokens["accessToken"]))

    async def test_email_is_not_updatable(self, portal: Portal, account: Any) -> None:
        tokens = await portal.sign_in(account)
        data = assert_ok(
            await portal.post(
                "/profile/update", {"accountEmail": "evil@example.com"}, token=tokens["accessToken"]
            )
        )
        assert data["accountEmail"] == account.email

    async def test_invalid_values(self, portal: Portal, account: Any) -> None:
        tokens = await portal.sign_in(account)
        for body in [
            {"defaultTimezone": "Mars/Olympus"},
            {"defaultCountry": "ZZ"},
            {"accountPhone": "call me"},
            {"defaultLanguage": "English!"},
            {"defaultLanguage": "bw-15DDSz-AilFfJFr"},  # well formed, longer than is stored
            {"accountName": 5},
            {"accountName": ""},
            {"defaultCountry": "USA"},
        ]:
            response = await portal.post("/profile/update", body, token=tokens["accessToken"])
            assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    async def test_requires_token(self, portal: Portal) -> None:
        assert_error(await portal.get("/profile"), 401, "ACCESS.TOKEN_MISSING")
        assert_error(await portal.post("/profile/update", {}), 401, "ACCESS.TOKEN_MISSING")
