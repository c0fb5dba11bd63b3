"""Transfers (consumer `/transfer`, partner `/transfers`): create by wallet or email, the
order queries, every refusal, and idempotent replays."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portico.ledger import service as ledger
from portico.transfers.models import TransferOrder
from tests.factories.accounts import create_account
from tests.factories.workspaces import add_member
from tests.support.money import Money, User
from tests.support.portal import assert_error, assert_ok

ORDER_FIELDS = [
    "bizId",
    "workspaceBizId",
    "fromWalletBizId",
    "toWalletBizId",
    "payerAccountBizId",
    "payeeAccountBizId",
    "amount",
    "fee",
    "currency",
    "transferStatus",
    "remark",
    "clientReference",
    "createdAt",
    "updatedAt",
    "completedAt",
]
INVALID = "VALIDATION.INVALID_PARAMETER"
NOT_FOUND = "RESOURCE.NOT_FOUND"


async def transfer(user: User, body: dict[str, Any], **headers: str) -> Any:
    return await user.post(f"{user.transfers}/command/create", body, headers=headers)


async def balance(user: User, wallet_biz_id: str) -> str:
    data = assert_ok(await user.get(f"/wallets/{wallet_biz_id}/balance"))
    return str(data["availableBalance"])


async def books_balance(money: Money) -> None:
    assert await ledger.verify(money.session) == []


class TestCreate:
    @pytest.mark.both_portals
    async def test_by_email_credits_the_payee_default_workspace(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "100")
        response = await transfer(
            money.alice,
            {
                "fromWalletBizId": source,
                "toAccountEmail": "BOB@example.com",
                "amount": "12.34",
                "remark": "lunch",
            },
        )
        order = assert_ok(response, "2001", 201)
        assert list(order) == ORDER_FIELDS
        assert order["amount"] == "12.34" and order["fee"] == "0.00"
        assert order["currency"] == "USD"
        assert order["transferStatus"]["code"] == "COMPLETED"
        assert set(order["transferStatus"]) == {"code", "value", "label", "description"}
        assert order["payerAccountBizId"] == money.alice.account.biz_id
        assert order["payeeAccountBizId"] == money.bob.account.biz_id
        assert order["clientReference"] is None and order["remark"] == "lunch"
        assert await balance(money.alice, source) == "87.66"
        # the payee's wallet was created on first use, in the payee's workspace
        wallets = assert_ok(await money.bob.get("/wallets"))
        assert [(w["currency"], w["availableBalance"]) for w in wallets] == [("USD", "12.34")]
        assert wallets[0]["bizId"] == order["toWalletBizId"]
        await books_balance(money)

    async def test_by_wallet_and_amount_as_number(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "50")
        target = await money.fund(money.bob, "USD", "1")
        order = assert_ok(
            await transfer(
                money.alice, {"fromWalletBizId": source, "toWalletBizId": target, "amount": 20.5}
            ),
            "2001",
            201,
        )
        assert order["toWalletBizId"] == target and order["amount"] == "20.50"
        assert await balance(money.bob, target) == "21.50"
        assert await balance(money.alice, source) == "29.50"

    async def test_stablecoin_scale_six(self, money: Money) -> None:
        source = await money.fund(money.alice, "USDT", "1")
        order = assert_ok(
            await transfer(
                money.alice,
                {
                    "fromWalletBizId": source,
                    "toAccountEmail": "bob@example.com",
                    "amount": "0.000001",
                },
            ),
            "2001",
            201,
        )
        assert order["amount"] == "0.000001" and order["fee"] == "0.000000"
        assert await balance(money.alice, source) == "0.999999"

    async def test_the_whole_balance_can_be_sent(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        assert_ok(
            await transfer(
                money.alice,
                {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "10"},
            ),
            "2001",
            201,
        )
        assert await balance(money.alice, source) == "0.00"

    async def test_insufficient_balance_moves_nothing(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        response = await transfer(
            money.alice,
            {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "10.01"},
        )
        assert_error(response, 400, "WALLET.INSUFFICIENT_BALANCE")
        assert await balance(money.alice, source) == "10.00"
        assert assert_ok(await money.bob.get("/wallets")) == []
        count = await money.session.scalar(select(func.count()).select_from(TransferOrder))
        assert count == 0
        await books_balance(money)

    @pytest.mark.parametrize(
        "amount",
        [
            0,
            "0",
            "0.00",
            -1,
            "-1.00",
            "1.001",
            0.001,
            "1e2",
            "NaN",
            "Infinity",
            "",
            " ",
            "1,00",
            "1000000000000",
            "99999999999999999999",
            True,
            None,
            [],
            {},
        ],
    )
    async def test_bad_amounts(self, money: Money, amount: Any) -> None:
        source = await money.fund(money.alice, "USD", "10")
        response = await transfer(
            money.alice,
            {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": amount},
        )
        assert_error(response, 400, INVALID)
        assert await balance(money.alice, source) == "10.00"

    async def test_jpy_has_no_decimals(self, money: Money) -> None:
        source = await money.fund(money.alice, "JPY", "1000")
        response = await transfer(
            money.alice,
            {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "1.5"},
        )
        assert_error(response, 400, INVALID)
        order = assert_ok(
            await transfer(
                money.alice,
                {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": 15},
            ),
            "2001",
            201,
        )
        assert order["amount"] == "15" and order["fee"] == "0"

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"toAccountEmail": "bob@example.com", "amount": "1"},
            {"fromWalletBizId": "x", "amount": "1"},
            {
                "fromWalletBizId": "x",
                "toAccountEmail": "b@e.com",
                "toWalletBizId": "y",
                "amount": "1",
            },
            {"fromWalletBizId": 5, "toAccountEmail": "bob@example.com", "amount": "1"},
            {
                "fromWalletBizId": "x",
                "toAccountEmail": "bob@example.com",
                "amount": "1",
                "remark": 3,
            },
            {"fromWalletBizId": "x", "toAccountEmail": "a@b.c", "amount": "1", "remark": "r" * 201},
        ],
    )
    async def test_bad_bodies(self, money: Money, body: dict[str, Any]) -> None:
        assert_error(await transfer(money.alice, body), 400, INVALID)

    async def test_unknown_source_wallet(self, money: Money) -> None:
        response = await transfer(
            money.alice,
            {
                "fromWalletBizId": "NoSuchWallet0000",
                "toAccountEmail": "bob@example.com",
                "amount": "1",
            },
        )
        assert_error(response, 404, NOT_FOUND)

    async def test_another_workspace_wallet_is_404(self, money: Money) -> None:
        bobs = await money.fund(money.bob, "USD", "100")
        response = await transfer(
            money.alice,
            {"fromWalletBizId": bobs, "toAccountEmail": "alice@example.com", "amount": "1"},
        )
        assert_error(response, 404, NOT_FOUND)
        assert await balance(money.bob, bobs) == "100.00"

    async def test_unknown_payee(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        for payee in (
            {"toAccountEmail": "nobody@example.com"},
            {"toWalletBizId": "NoSuchWallet0000"},
        ):
            response = await transfer(
                money.alice, {"fromWalletBizId": source, "amount": "1", **payee}
            )
            assert_error(response, 404, NOT_FOUND)
        assert await balance(money.alice, source) == "10.00"

    async def test_currency_mismatch(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        euros = await money.fund(money.bob, "EUR", "10")
        response = await transfer(
            money.alice, {"fromWalletBizId": source, "toWalletBizId": euros, "amount": "1"}
        )
        assert_error(response, 400, "WALLET.CURRENCY_MISMATCH")
        response = await transfer(
            money.alice,
            {
                "fromWalletBizId": source,
                "toAccountEmail": "bob@example.com",
                "amount": "1",
                "currency": "EUR",
            },
        )
        assert_error(response, 400, "WALLET.CURRENCY_MISMATCH")

    async def test_to_the_same_wallet_is_refused(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        response = await transfer(
            money.alice, {"fromWalletBizId": source, "toWalletBizId": source, "amount": "1"}
        )
        assert_error(response, 400, INVALID)

    async def test_member_without_transfer_write_is_refused(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        carol = await create_account(
            money.session,
            institution_id=money.institution.institution_id,
            portal=money.alice.portal.portal,
            email="carol@example.com",
        )
        await add_member(
            money.session,
            workspace=money.alice.workspace,
            account=carol,
            permission_codes=["wallet:read", "transfer:read"],
        )
        await money.session.commit()
        token = str((await money.alice.portal.login("carol@example.com"))["accessToken"])
        response = await money.alice.portal.post(
            f"{money.alice.transfers}/command/create",
            {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "1"},
            token=token,
            headers={"X-Workspace-Id": money.alice.workspace.biz_id},
        )
        assert_error(response, 403, "ACCESS.PERMISSION_DENIED")

    async def test_needs_a_token(self, money: Money) -> None:
        response = await money.alice.portal.post(
            f"{money.alice.transfers}/command/create", {"amount": "1"}
        )
        assert_error(response, 401, "ACCESS.TOKEN_MISSING")


class TestIdempotency:
    async def test_same_key_replays_the_first_answer(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        body = {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "3"}
        first = await transfer(money.alice, body, **{"Idempotency-Key": "k-1"})
        second = await transfer(money.alice, body, **{"Idempotency-Key": "k-1"})
        assert first.status_code == second.status_code == 201
        assert first.content == second.content
        assert await balance(money.alice, source) == "7.00"

    async def test_client_reference_is_the_key_too(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        body = {
            "fromWalletBizId": source,
            "toAccountEmail": "bob@example.com",
            "amount": "3",
            "clientReference": "invoice-42",
        }
        first = assert_ok(await transfer(money.alice, body), "2001", 201)
        second = assert_ok(await transfer(money.alice, body), "2001", 201)
        assert first["bizId"] == second["bizId"] and first["clientReference"] == "invoice-42"
        assert await balance(money.alice, source) == "7.00"

    async def test_same_key_other_body_conflicts(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        body = {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "3"}
        assert_ok(await transfer(money.alice, body, **{"Idempotency-Key": "k-2"}), "2001", 201)
        response = await transfer(
            money.alice, {**body, "amount": "4"}, **{"Idempotency-Key": "k-2"}
        )
        assert_error(response, 409, "REQUEST.IDEMPOTENCY_CONFLICT")
        assert await balance(money.alice, source) == "7.00"

    async def test_a_refused_attempt_does_not_burn_the_key(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        body = {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "30"}
        refused = await transfer(money.alice, body, **{"Idempotency-Key": "k-3"})
        assert_error(refused, 400, "WALLET.INSUFFICIENT_BALANCE")
        await money.fund(money.alice, "USD", "30")
        assert_ok(await transfer(money.alice, body, **{"Idempotency-Key": "k-3"}), "2001", 201)
        assert await balance(money.alice, source) == "10.00"

    async def test_keys_are_per_caller(self, money: Money) -> None:
        alices = await money.fund(money.alice, "USD", "10")
        bobs = await money.fund(money.bob, "USD", "10")
        key = {"Idempotency-Key": "shared"}
        assert_ok(
            await transfer(
                money.alice,
                {"fromWalletBizId": alices, "toAccountEmail": "bob@example.com", "amount": "1"},
                **key,
            ),
            "2001",
            201,
        )
        assert_ok(
            await transfer(
                money.bob,
                {"fromWalletBizId": bobs, "toAccountEmail": "alice@example.com", "amount": "2"},
                **key,
            ),
            "2001",
            201,
        )
        assert await balance(money.alice, alices) == "11.00"

    @pytest.mark.parametrize("key", ["", " ", "k" * 201, "tab\tkey"])
    async def test_bad_keys(self, money: Money, key: str) -> None:
        source = await money.fund(money.alice, "USD", "10")
        body = {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "1"}
        assert_error(await transfer(money.alice, body, **{"Idempotency-Key": key}), 400, INVALID)


class TestQueries:
    @pytest.mark.both_portals
    async def test_list_get_and_completed(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        empty = assert_ok(await money.alice.get(f"{money.alice.transfers}/query/orders"))
        assert empty["items"] == [] and empty["pagination"]["empty"] is True
        ids = []
        for amount in ("1", "2", "3"):
            order = assert_ok(
                await transfer(
                    money.alice,
                    {
                        "fromWalletBizId": source,
                        "toAccountEmail": "bob@example.com",
                        "amount": amount,
                    },
                ),
                "2001",
                201,
            )
            ids.append(order["bizId"])
        page = assert_ok(
            await money.alice.get(f"{money.alice.transfers}/query/orders", page=1, pageSize=2)
        )
        assert [o["bizId"] for o in page["items"]] == [ids[2], ids[1]]
        assert page["pagination"] == {
            "totalPages": 2,
            "totalRecords": 3,
            "currentPage": 1,
            "pageSize": 2,
            "hasNext": True,
            "empty": False,
            "paginated": True,
        }
        # the payee sees the transfers it received
        received = assert_ok(await money.bob.get(f"{money.bob.transfers}/query/orders"))
        assert {o["bizId"] for o in received["items"]} == set(ids)
        got = assert_ok(await money.alice.get(f"{money.alice.transfers}/query/orders/{ids[0]}"))
        assert got["bizId"] == ids[0] and list(got) == ORDER_FIELDS
        done = await money.alice.get(f"{money.alice.transfers}/query/orders/{ids[0]}/completed")
        assert assert_ok(done) is True
        filtered = assert_ok(
            await money.alice.get(f"{money.alice.transfers}/query/orders", status="FAILED")
        )
        assert filtered["items"] == []

    async def test_unknown_and_foreign_orders(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        order = assert_ok(
            await transfer(
                money.alice,
                {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "1"},
            ),
            "2001",
            201,
        )
        base = f"{money.alice.transfers}/query/orders"
        assert_error(await money.alice.get(f"{base}/non-existent-biz-id"), 404, NOT_FOUND)
        # documented: completed is false (not 404) for an unknown id
        assert assert_ok(await money.alice.get(f"{base}/non-existent-biz-id/completed")) is False
        carol = await create_account(
            money.session,
            institution_id=money.institution.institution_id,
            portal=money.alice.portal.portal,
            email="carol@example.com",
        )
        await money.session.commit()
        token = await money.alice.portal.token(carol)
        response = await money.alice.portal.get(f"{base}/{order['bizId']}", token=token)
        assert_error(response, 404, NOT_FOUND)
        completed = await money.alice.portal.get(f"{base}/{order['bizId']}/completed", token=token)
        assert assert_ok(completed) is False

    @pytest.mark.parametrize(
        "query",
        [
            {"page": 0},
            {"pageSize": 101},
            {"status": "DONE"},
            {"startTime": "yesterday"},
            {"page": "x"},
        ],
    )
    async def test_bad_list_parameters(self, money: Money, query: dict[str, Any]) -> None:
        response = await money.alice.get(f"{money.alice.transfers}/query/orders", **query)
        assert_error(response, 400, INVALID)

    async def test_time_window(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        assert_ok(
            await transfer(
                money.alice,
                {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "1"},
            ),
            "2001",
            201,
        )
        base = f"{money.alice.transfers}/query/orders"
        future = assert_ok(await money.alice.get(base, startTime="4102444800000"))
        assert future["items"] == []
        past = assert_ok(await money.alice.get(base, startTime="2020-01-01T00:00:00Z"))
        assert len(past["items"]) == 1


@pytest.mark.both_portals
class TestWalletOrders:
    async def test_consumer_only_route(self, money: Money) -> None:
        source = await money.fund(money.alice, "USD", "10")
        assert_ok(
            await transfer(
                money.alice,
                {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "1"},
            ),
            "2001",
            201,
        )
        response = await money.alice.get(f"{money.alice.transfers}/query/orders/wallet/{source}")
        if money.alice.transfers == "/transfers":
            assert_error(response, 404, NOT_FOUND)
            return
        assert len(assert_ok(response)["items"]) == 1
        # documented: an unknown wallet is an empty page, not 404
        unknown = await money.alice.get("/transfer/query/orders/wallet/non-existent-wallet-id")
        assert assert_ok(unknown)["items"] == []

    async def test_other_portal_path_is_404(self, money: Money) -> None:
        other = "/transfers" if money.alice.transfers == "/transfer" else "/transfer"
        assert_error(await money.alice.get(f"{other}/query/orders"), 404, NOT_FOUND)
