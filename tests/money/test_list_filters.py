"""Money lists: the `walletBizId` filter only takes the workspace's own wallets (another
workspace's is 404, like every other foreign id), and every paged list answers the documented
empty page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.money import create_recharge_channel, create_withdrawal_channel, set_rate
from tests.support.money import Money, User
from tests.support.portal import EMPTY_PAGE, assert_error, assert_ok


def _lists(user: User) -> list[str]:
    """Every money list with a `walletBizId` filter."""
    return [f"{user.transfers}/query/orders", "/exchanges", "/recharges", "/withdrawals"]


async def _one_of_each(money: Money, user: User, wallet: str) -> dict[str, str]:
    """A transfer, an exchange, a recharge and a withdrawal out of or into `wallet` (USD)."""
    institution_id = money.institution.institution_id
    channel = await create_recharge_channel(money.session, institution_id=institution_id)
    payout = await create_withdrawal_channel(money.session, workspace=user.workspace)
    await set_rate(money.session, institution_id=institution_id)
    await money.session.commit()
    other = money.bob if user is money.alice else money.alice
    transfer = assert_ok(
        await user.post(
            f"{user.transfers}/command/create",
            {"fromWalletBizId": wallet, "toAccountEmail": other.account.email, "amount": "1"},
        ),
        code="2001",
        status=201,
    )
    quote = assert_ok(
        await user.post(
            "/exchanges/quote", {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "2"}
        )
    )
    exchange = assert_ok(
        await user.post("/exchanges", {"quoteId": quote["quoteId"]}), code="2001", status=201
    )
    recharge = assert_ok(
        await user.post(
            "/recharges", {"channelBizId": channel.biz_id, "amount": "3", "walletBizId": wallet}
        ),
        code="2001",
        status=201,
    )
    withdrawal = assert_ok(
        await user.post(
            "/withdrawals",
            {"walletBizId": wallet, "withdrawalChannelBizId": payout.biz_id, "amount": "4"},
        ),
        code="2001",
        status=201,
    )
    return {
        _lists(user)[0]: transfer["bizId"],
        "/exchanges": exchange["bizId"],
        "/recharges": recharge["bizId"],
        "/withdrawals": withdrawal["bizId"],
    }


class TestWalletFilter:
    async def test_own_wallet_filters(self, money: Money) -> None:
        usd = await money.fund(money.alice, "USD", "100")
        made = await _one_of_each(money, money.alice, usd)
        for path, biz_id in made.items():
            page = assert_ok(await money.alice.get(path, walletBizId=usd))
            assert [item["bizId"] for item in page["items"]] == [biz_id], path

    async def test_own_wallet_without_orders_is_an_empty_page(self, money: Money) -> None:
        await money.fund(money.alice, "USD", "100")
        gbp = await money.fund(money.alice, "GBP", "5")
        for path in _lists(money.alice):
            assert assert_ok(await money.alice.get(path, walletBizId=gbp)) == EMPTY_PAGE, path

    @pytest.mark.parametrize("whose", ["another workspace's", "unknown"])
    async def test_any_other_wallet_is_404(self, money: Money, whose: str) -> None:
        usd = await money.fund(money.alice, "USD", "100")
        bobs = await money.fund(money.bob, "USD", "10")
        await _one_of_each(money, money.alice, usd)  # Bob's wallet received Alice's transfer
        wallet = bobs if whose == "another workspace's" else "no-such-wallet"
        for path in _lists(money.alice):
            response = await money.alice.get(path, walletBizId=wallet)
            assert_error(response, 404, "RESOURCE.NOT_FOUND")

    @pytest.mark.both_portals
    async def test_the_consumer_wallet_route_answers_any_other_wallet_with_an_empty_page(
        self, money: Money
    ) -> None:
        """As documented for an unknown wallet; another workspace's gets the very same answer,
        so the route cannot tell which ids exist."""
        if money.alice.transfers != "/transfer":  # a consumer-only route
            response = await money.alice.get("/transfers/query/orders/wallet/any")
            assert_error(response, 404, "RESOURCE.NOT_FOUND")
            return
        usd = await money.fund(money.alice, "USD", "100")
        bobs = await money.fund(money.bob, "USD", "10")
        made = await _one_of_each(money, money.alice, usd)
        own = assert_ok(await money.alice.get(f"/transfer/query/orders/wallet/{usd}"))
        assert [item["bizId"] for item in own["items"]] == [made["/transfer/query/orders"]]
        for wallet in (bobs, "non-existent-wallet-id"):
            page = await money.alice.get(f"/transfer/query/orders/wallet/{wallet}")
            assert assert_ok(page) == EMPTY_PAGE


class TestEmptyPages:
    @pytest.mark.both_portals
    async def test_every_paged_list_answers_the_documented_empty_page(self, money: Money) -> None:
        user = money.alice
        usd = await money.fund(user, "USD", "100")
        paths: list[tuple[str, dict[str, Any]]] = [(path, {}) for path in _lists(user)]
        paths += [
            ("/api-keys", {}),
            (f"/wallets/{usd}/flows", {"bizType": "EXCHANGE"}),
            (f"{user.transfers}/query/orders", {"page": 3, "pageSize": 5}),
        ]
        for path, params in paths:
            assert assert_ok(await user.get(path, **params)) == EMPTY_PAGE, path

    async def test_a_page_past_the_end_of_a_non_empty_list_is_still_paged(
        self, money: Money
    ) -> None:
        usd = await money.fund(money.alice, "USD", "100")
        page = assert_ok(await money.alice.get(f"/wallets/{usd}/flows", page=2, pageSize=5))
        assert page["items"] == []
        assert page["pagination"] == {
            "totalPages": 1,
            "totalRecords": 1,
            "currentPage": 2,
            "pageSize": 5,
            "hasNext": False,
            "empty": False,
            "paginated": True,
        }
