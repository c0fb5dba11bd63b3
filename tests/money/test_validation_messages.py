"""A refused request names the offending fields in `message` (the code stays
`VALIDATION.INVALID_PARAMETER`), and amounts are read as the README says: a decimal string as
written (no spaces, no more decimals than the currency's scale, zeros included), a JSON number
by its value."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.money import create_recharge_channel
from tests.support.money import Money
from tests.support.portal import assert_error, assert_ok

INVALID = "VALIDATION.INVALID_PARAMETER"


def _refused(response: Any, *fields: str) -> None:
    assert_error(response, 400, INVALID)
    assert response.json()["message"] == "Invalid request parameters: " + ", ".join(fields)


class TestFieldNames:
    async def test_missing_and_mistyped_body_fields(self, money: Money) -> None:
        portal = money.alice.portal
        _refused(await portal.post("/auth/login/initiate", {}), "email", "password")
        _refused(
            await portal.post("/auth/login/initiate", {"email": "a@b.co", "password": 5}),
            "password",
        )
        _refused(
            await money.alice.post("/security/sessions/config", {"maxConcurrentSessions": 11}),
            "maxConcurrentSessions",
        )

    async def test_a_body_that_is_not_an_object(self, money: Money) -> None:
        portal = money.alice.portal
        response = await portal.http.post(
            f"{portal.prefix}/auth/login/initiate",
            content=b"not json",
            headers={**portal.headers(), "Content-Type": "application/json"},
        )
        _refused(response, "body")
        _refused(await portal.post("/auth/login/initiate", [1, 2]), "body")

    async def test_query_parameters(self, money: Money) -> None:
        _refused(await money.alice.get("/exchanges", page=0), "page")
        _refused(await money.alice.get("/exchanges", startTime="yesterday"), "startTime")
        _refused(
            await money.alice.get("/exchanges", startTime="2026-02-01", endTime="2026-01-01"),
            "startTime",
            "endTime",
        )

    async def test_a_rule_across_fields_names_them(self, money: Money) -> None:
        body = {"fromWalletBizId": "w", "toWalletBizId": "x", "toAccountEmail": "b@example.com"}
        response = await money.alice.post(
            f"{money.alice.transfers}/command/create", {**body, "amount": "1"}
        )
        _refused(response, "toWalletBizId", "toAccountEmail")

    async def test_a_check_made_by_the_service(self, money: Money) -> None:
        response = await money.alice.post(
            "/exchanges/quote", {"fromCurrency": "XXX", "toCurrency": "EUR", "amount": "1"}
        )
        _refused(response, "fromCurrency")
        response = await money.alice.post(
            "/workspaces", {"workspaceName": "w", "workspaceTimezone": "Mars/Base"}
        )
        _refused(response, "workspaceTimezone")


class TestAmounts:
    async def _quote(self, money: Money, currency: str, amount: Any) -> Any:
        channel = await create_recharge_channel(
            money.session,
            institution_id=money.institution.institution_id,
            currency=currency,
            min_amount="1",
        )
        await money.session.commit()
        return await money.alice.post(
            "/recharges/quote", {"channelBizId": channel.biz_id, "amount": amount}
        )

    @pytest.mark.parametrize(
        ("currency", "amount"),
        [
            ("USD", " 1.00"),
            ("USD", "1.00 "),
            ("USD", "1 .00"),
            ("USD", "1.000"),  # three decimals as written, for a currency of two
            ("USD", "1.001"),
            ("JPY", "100.0"),
            ("USDT", "1.0000000"),
            ("USD", "+1.00"),
            ("USD", "1e2"),
            ("USD", "0.00"),
            ("USD", "1000000000000"),
        ],
    )
    async def test_refused(self, money: Money, currency: str, amount: Any) -> None:
        _refused(await self._quote(money, currency, amount), "amount")

    @pytest.mark.parametrize(
        ("currency", "amount", "shown"),
        [
            ("USD", "1.00", "1.00"),
            ("USD", "1.5", "1.50"),
            ("USD", "2", "2.00"),
            ("USD", 1.5, "1.50"),
            ("USD", 1.000, "1.00"),  # a JSON number is its value: 1.000 is 1
            ("JPY", "100", "100"),
            ("JPY", 100.0, "100"),
            ("USDT", "1.000000", "1.000000"),
        ],
    )
    async def test_accepted(self, money: Money, currency: str, amount: Any, shown: str) -> None:
        assert assert_ok(await self._quote(money, currency, amount))["amount"] == shown

    async def test_a_json_number_with_written_zeros_is_its_value(self, money: Money) -> None:
        channel = await create_recharge_channel(
            money.session, institution_id=money.institution.institution_id, currency="USD"
        )
        await money.session.commit()
        portal = money.alice.portal
        body = b'{"channelBizId": "%s", "amount": 1.000}' % channel.biz_id.encode()
        response = await portal.http.post(
            f"{portal.prefix}/recharges/quote",
            content=body,
            headers={**portal.headers(money.alice.token), "Content-Type": "application/json"},
        )
        assert assert_ok(response)["amount"] == "1.00"
