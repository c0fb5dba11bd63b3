"""Exchanges: quotes from the issuer's FX table (spread, fee, both sides), executing a quote
once, expiry, and the refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from portico.db import utcnow
from portico.exchanges.models import ExchangeQuote
from portico.ledger import service as ledger
from tests.factories.money import set_rate
from tests.support.money import Money
from tests.support.portal import assert_error, assert_ok

QUOTE_FIELDS = [
    "quoteId",
    "fromCurrency",
    "toCurrency",
    "side",
    "fromAmount",
    "toAmount",
    "rate",
    "fee",
    "feeCurrency",
    "expiresAt",
]
EXCHANGE_FIELDS = [
    "bizId",
    "workspaceBizId",
    "quoteId",
    "fromWalletBizId",
    "toWalletBizId",
    "fromCurrency",
    "toCurrency",
    "fromAmount",
    "toAmount",
    "rate",
    "fee",
    "exchangeStatus",
    "createdAt",
    "updatedAt",
    "completedAt",
]
INVALID = "VALIDATION.INVALID_PARAMETER"


async def rates(money: Money) -> None:
    institution_id = money.institution.institution_id
    await set_rate(
        money.session,
        institution_id=institution_id,
        base="USD",
        quote="EUR",
        rate="0.9",
        spread_bps=100,
        fee_bps=50,
    )
    await set_rate(
        money.session, institution_id=institution_id, base="USD", quote="JPY", rate="150"
    )
    await money.session.commit()


async def quote(money: Money, body: dict[str, Any]) -> Any:
    return await money.alice.post("/exchanges/quote", body)


class TestQuote:
    async def test_sell_side(self, money: Money) -> None:
        await rates(money)
        data = assert_ok(
            await quote(money, {"fromCurrency": "usd", "toCurrency": "EUR", "amount": "100"})
        )
        assert list(data) == QUOTE_FIELDS
        # fee 0.5% of 100.00 = 0.50; 99.50 at 0.9 less 1% spread (0.891) = 88.6545 -> 88.65
        assert (data["fromAmount"], data["fee"], data["toAmount"]) == ("100.00", "0.50", "88.65")
        assert data["rate"] == "0.891" and data["side"] == "SELL"
        assert data["feeCurrency"] == "USD"

    async def test_buy_side_and_inverse_rate(self, money: Money) -> None:
        await rates(money)
        data = assert_ok(
            await quote(
                money, {"fromCurrency": "EUR", "toCurrency": "USD", "amount": 10, "side": "BUY"}
            )
        )
        assert data["toAmount"] == "10.00"
        # 1/0.9 less 1% = 1.1; 10.00 USD costs 9.091 -> 9.10 EUR, plus 0.5% fee (0.05)
        assert (data["fromAmount"], data["fee"]) == ("9.15", "0.05")

    async def test_zero_scale_target(self, money: Money) -> None:
        await rates(money)
        data = assert_ok(
            await quote(money, {"fromCurrency": "USD", "toCurrency": "JPY", "amount": "1.01"})
        )
        assert data["toAmount"] == "151"

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"fromCurrency": "USD", "toCurrency": "USD", "amount": "1"},
            {"fromCurrency": "USD", "toCurrency": "XXX", "amount": "1"},
            {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "0"},
            {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "1.001"},
            {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "-5"},
            {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "1", "side": "HOLD"},
            {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "0.01", "side": "SELL"},
        ],
    )
    async def test_bad_quotes(self, money: Money, body: dict[str, Any]) -> None:
        await rates(money)
        assert_error(await quote(money, body), 400, INVALID)

    async def test_no_rate(self, money: Money) -> None:
        await rates(money)
        response = await quote(money, {"fromCurrency": "GBP", "toCurrency": "CNY", "amount": "1"})
        assert_error(response, 400, "EXCHANGE.RATE_UNAVAILABLE")


class TestExecute:
    async def test_executes_once_at_the_quoted_price(self, money: Money) -> None:
        await rates(money)
        usd = await money.fund(money.alice, "USD", "150")
        q = assert_ok(
            await quote(money, {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "100"})
        )
        done = assert_ok(
            await money.alice.post("/exchanges", {"quoteId": q["quoteId"]}), "2001", 201
        )
        assert list(done) == EXCHANGE_FIELDS
        assert done["exchangeStatus"]["code"] == "COMPLETED"
        assert (done["fromAmount"], done["toAmount"], done["fee"]) == ("100.00", "88.65", "0.50")
        assert done["fromWalletBizId"] == usd
        wallets = {w["currency"]: w for w in assert_ok(await money.alice.get("/wallets"))}
        assert wallets["USD"]["availableBalance"] == "50.00"
        assert wallets["EUR"]["availableBalance"] == "88.65"
        again = await money.alice.post("/exchanges", {"quoteId": q["quoteId"]})
        assert_error(again, 400, "EXCHANGE.QUOTE_USED")
        listed = assert_ok(await money.alice.get("/exchanges"))
        assert [e["bizId"] for e in listed["items"]] == [done["bizId"]]
        assert assert_ok(await money.alice.get(f"/exchanges/{done['bizId']}")) == done
        assert await ledger.verify(money.session) == []

    async def test_expired_quote(self, money: Money) -> None:
        await rates(money)
        await money.fund(money.alice, "USD", "150")
        q = assert_ok(
            await quote(money, {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "1"})
        )
        await money.session.execute(
            update(ExchangeQuote)
            .where(ExchangeQuote.biz_id == q["quoteId"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await money.session.commit()
        response = await money.alice.post("/exchanges", {"quoteId": q["quoteId"]})
        assert_error(response, 400, "EXCHANGE.QUOTE_EXPIRED")

    async def test_insufficient_balance(self, money: Money) -> None:
        await rates(money)
        q = assert_ok(
            await quote(money, {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "1"})
        )
        response = await money.alice.post("/exchanges", {"quoteId": q["quoteId"]})
        assert_error(response, 400, "WALLET.INSUFFICIENT_BALANCE")
        await money.fund(money.alice, "USD", "0.5")
        response = await money.alice.post("/exchanges", {"quoteId": q["quoteId"]})
        assert_error(response, 400, "WALLET.INSUFFICIENT_BALANCE")
        # a refused execution leaves the quote usable
        await money.fund(money.alice, "USD", "1")
        assert_ok(await money.alice.post("/exchanges", {"quoteId": q["quoteId"]}), "2001", 201)

    async def test_another_accounts_quote_is_404(self, money: Money) -> None:
        await rates(money)
        q = assert_ok(
            await quote(money, {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "1"})
        )
        response = await money.bob.post("/exchanges", {"quoteId": q["quoteId"]})
        assert_error(response, 404, "RESOURCE.NOT_FOUND")
        assert_error(
            await money.alice.post("/exchanges", {"quoteId": "nope"}), 404, "RESOURCE.NOT_FOUND"
        )

    async def test_idempotent_replay(self, money: Money) -> None:
        await rates(money)
        await money.fund(money.alice, "USD", "10")
        q = assert_ok(
            await quote(money, {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "1"})
        )
        key = {"Idempotency-Key": "fx-1"}
        first = await money.alice.post("/exchanges", {"quoteId": q["quoteId"]}, headers=key)
        second = await money.alice.post("/exchanges", {"quoteId": q["quoteId"]}, headers=key)
        assert first.status_code == second.status_code == 201
        assert first.content == second.content

    async def test_unknown_exchange_is_404(self, money: Money) -> None:
        response = await money.alice.get("/exchanges/non-existent-biz-id")
        assert_error(response, 404, "RESOURCE.NOT_FOUND")

    @pytest.mark.parametrize("body", [{}, {"quoteId": ""}, {"quoteId": 7}, None])
    async def test_bad_bodies(self, money: Money, body: Any) -> None:
        assert_error(await money.alice.post("/exchanges", body), 400, INVALID)
