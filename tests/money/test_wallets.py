"""Wallets: list, get, balance and flows; one wallet per currency; isolation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.money import Money
from tests.support.portal import assert_error, assert_ok

WALLET_FIELDS = [
    "bizId",
    "workspaceBizId",
    "walletName",
    "currency",
    "walletType",
    "walletStatus",
    "availableBalance",
    "frozenBalance",
    "totalBalance",
    "createdAt",
    "updatedAt",
]
BALANCE_FIELDS = [
    "walletBizId",
    "currency",
    "availableBalance",
    "frozenBalance",
    "totalBalance",
    "updatedAt",
]
FLOW_FIELDS = [
    "bizId",
    "walletBizId",
    "direction",
    "bizType",
    "bizOrderId",
    "amount",
    "balanceBefore",
    "balanceAfter",
    "currency",
    "remark",
    "createdAt",
]


class TestWallets:
    async def test_a_new_workspace_has_none(self, money: Money) -> None:
        assert assert_ok(await money.alice.get("/wallets")) == []

    async def test_list_get_and_balance(self, money: Money) -> None:
        usd = await money.fund(money.alice, "USD", "10.5")
        usdt = await money.fund(money.alice, "USDT", "2")
        await money.fund(money.alice, "USD", "1")  # the same wallet again
        wallets = assert_ok(await money.alice.get("/wallets"))
        assert [w["bizId"] for w in wallets] == [usd, usdt]
        first = wallets[0]
        assert list(first) == WALLET_FIELDS
        assert first["workspaceBizId"] == money.alice.workspace.biz_id
        assert first["availableBalance"] == "11.50" and first["frozenBalance"] == "0.00"
        assert first["totalBalance"] == "11.50"
        assert first["walletType"]["code"] == "STANDARD"
        assert first["walletStatus"] == {
            "code": "ACTIVE",
            "value": 10060201,
            "label": "Active",
            "description": "Wallet can send and receive funds",
        }
        assert wallets[1]["availableBalance"] == "2.000000"
        assert assert_ok(await money.alice.get(f"/wallets/{usd}")) == first
        balance = assert_ok(await money.alice.get(f"/wallets/{usd}/balance"))
        assert list(balance) == BALANCE_FIELDS
        assert balance["totalBalance"] == "11.50"

    @pytest.mark.parametrize("suffix", ["", "/balance", "/flows"])
    async def test_unknown_and_foreign_wallets_are_404(self, money: Money, suffix: str) -> None:
        bobs = await money.fund(money.bob, "USD", "1")
        for wallet in ("non-existent-wallet-id", bobs):
            response = await money.alice.get(f"/wallets/{wallet}{suffix}")
            assert_error(response, 404, "RESOURCE.NOT_FOUND")

    async def test_needs_a_token(self, money: Money) -> None:
        assert_error(await money.alice.portal.get("/wallets"), 401, "ACCESS.TOKEN_MISSING")


class TestFlows:
    async def test_flows_show_each_movement(self, money: Money) -> None:
        usd = await money.fund(money.alice, "USD", "100")
        order = assert_ok(
            await money.alice.post(
                f"{money.alice.transfers}/command/create",
                {
                    "fromWalletBizId": usd,
                    "toAccountEmail": "bob@example.com",
                    "amount": "30",
                    "remark": "rent",
                },
            ),
            "2001",
            201,
        )
        flows = assert_ok(await money.alice.get(f"/wallets/{usd}/flows"))
        out, funding = flows["items"]
        assert list(out) == FLOW_FIELDS
        assert out["direction"]["code"] == "OUT" and out["bizType"]["code"] == "TRANSFER_OUT"
        assert out["bizOrderId"] == order["bizId"] and out["remark"] == "rent"
        assert (out["amount"], out["balanceBefore"], out["balanceAfter"]) == (
            "30.00",
            "100.00",
            "70.00",
        )
        assert funding["direction"]["code"] == "IN"
        assert (funding["balanceBefore"], funding["balanceAfter"]) == ("0.00", "100.00")
        assert flows["pagination"]["totalRecords"] == 2
        bobs = assert_ok(await money.bob.get("/wallets"))[0]["bizId"]
        incoming = assert_ok(await money.bob.get(f"/wallets/{bobs}/flows"))["items"]
        assert [f["bizType"]["code"] for f in incoming] == ["TRANSFER_IN"]

    async def test_filters_and_paging(self, money: Money) -> None:
        usd = await money.fund(money.alice, "USD", "100")
        for _ in range(3):
            await money.alice.post(
                f"{money.alice.transfers}/command/create",
                {"fromWalletBizId": usd, "toAccountEmail": "bob@example.com", "amount": "1"},
            )
        only_out = assert_ok(
            await money.alice.get(f"/wallets/{usd}/flows", bizType="TRANSFER_OUT", pageSize=2)
        )
        assert len(only_out["items"]) == 2
        assert only_out["pagination"]["totalRecords"] == 3
        assert only_out["pagination"]["hasNext"] is True
        later = assert_ok(await money.alice.get(f"/wallets/{usd}/flows", endTime="1000"))
        assert later["items"] == []

    @pytest.mark.parametrize(
        "query",
        [
            {"bizType": "SALARY"},
            {"page": -1},
            {"pageSize": 0},
            {"startTime": "2030-01-01", "endTime": "2020-01-01"},
            {"endTime": "not-a-time"},
        ],
    )
    async def test_bad_filters(self, money: Money, query: dict[str, Any]) -> None:
        usd = await money.fund(money.alice, "USD", "1")
        response = await money.alice.get(f"/wallets/{usd}/flows", **query)
        assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")
