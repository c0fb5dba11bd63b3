"""Transfers (consumer `/transfer`, partner `/transfers`): create by wallet or email, the
order queries, every refusal, and idempotent replays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from portico.db import utcnow
from portico.idempotency.models import IdempotencyRecord
from portico.ledger import service as ledger
from portico.tenancy import across_workspaces
from portico.transfers.models import TransferOrder
from portico.wallets.models import Wallet
from portico.workspaces.models import WorkspaceMember
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


@pytest.fixture(params=["email", "wallet"])
async def to_bob(request: pytest.FixtureRequest, money: Money) -> dict[str, str]:
    """Bob as the payee, by email (booked in Python) or by wallet (PostgreSQL books it in one
    database call, claim and stored answer included)."""
    if request.param == "email":
        return {"toAccountEmail": "bob@example.com"}
    return {"toWalletBizId": await money.fund(money.bob, "USD", "1")}


class TestIdempotency:
    async def test_same_key_replays_the_first_answer(
        self, money: Money, to_bob: dict[str, str]
    ) -> None:
        source = await money.fund(money.alice, "USD", "10")
        body = {"fromWalletBizId": source, **to_bob, "amount": "3"}
        first = await transfer(money.alice, body, **{"Idempotency-Key": "k-1"})
        second = await transfer(money.alice, body, **{"Idempotency-Key": "k-1"})
        assert first.status_code == second.status_code == 201
        assert first.content == second.content
        assert await balance(money.alice, source) == "7.00"

    async def test_client_reference_is_the_key_too(
        self, money: Money, to_bob: dict[str, str]
    ) -> None:
        source = await money.fund(money.alice, "USD", "10")
        body = {
            "fromWalletBizId": source,
            **to_bob,
            "amount": "3",
            "clientReference": "invoice-42",
        }
        first = assert_ok(await transfer(money.alice, body), "2001", 201)
        second = assert_ok(await transfer(money.alice, body), "2001", 201)
        assert first["bizId"] == second["bizId"] and first["clientReference"] == "invoice-42"
        assert await balance(money.alice, source) == "7.00"

    async def test_same_key_other_body_conflicts(
        self, money: Money, to_bob: dict[str, str]
    ) -> None:
        source = await money.fund(money.alice, "USD", "10")
        body = {"fromWalletBizId": source, **to_bob, "amount": "3"}
        assert_ok(await transfer(money.alice, body, **{"Idempotency-Key": "k-2"}), "2001", 201)
        response = await transfer(
            money.alice, {**body, "amount": "4"}, **{"Idempotency-Key": "k-2"}
        )
        assert_error(response, 409, "REQUEST.IDEMPOTENCY_CONFLICT")
        assert await balance(money.alice, source) == "7.00"

    async def test_a_refused_attempt_does_not_burn_the_key(
        self, money: Money, to_bob: dict[str, str]
    ) -> None:
        source = await money.fund(money.alice, "USD", "10")
        body = {"fromWalletBizId": source, **to_bob, "amount": "30"}
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

    async def test_an_expired_key_is_claimed_afresh(
        self, money: Money, to_bob: dict[str, str]
    ) -> None:
        source = await money.fund(money.alice, "USD", "10")
        body = {"fromWalletBizId": source, **to_bob, "amount": "3"}
        first = assert_ok(
            await transfer(money.alice, body, **{"Idempotency-Key": "k-4"}), "2001", 201
        )
        await money.session.execute(
            across_workspaces(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.idempotency_key == "k-4")
                .values(expires_at=utcnow() - timedelta(seconds=1)),
                "the test's own key",
            )
        )
        await money.session.commit()
        again = await transfer(money.alice, {**body, "amount": "4"}, **{"Idempotency-Key": "k-4"})
        second = assert_ok(again, "2001", 201)
        assert second["bizId"] != first["bizId"] and second["amount"] == "4.00"
        replayed = await transfer(
            money.alice, {**body, "amount": "4"}, **{"Idempotency-Key": "k-4"}
        )
        assert replayed.content == again.content
        assert await balance(money.alice, source) == "3.00"
        await books_balance(money)

    @pytest.mark.parametrize("key", ["", " ", "k" * 201, "tab\tkey"])
    async def test_bad_keys(self, money: Money, key: str) -> None:
        source = await money.fund(money.alice, "USD", "10")
        body = {"fromWalletBizId": source, "toAccountEmail": "bob@example.com", "amount": "1"}
        assert_error(await transfer(money.alice, body, **{"Idempotency-Key": key}), 400, INVALID)


class TestWalletStates:
    @pytest.mark.parametrize(
        ("side", "status", "code"),
        [
            ("payer", "FROZEN", "WALLET.FROZEN"),
            ("payee", "FROZEN", "WALLET.FROZEN"),
            ("payee", "CLOSED", "WALLET.CLOSED"),
        ],
    )
    async def test_a_frozen_or_closed_wallet_moves_nothing_and_keeps_the_key_free(
        self, money: Money, to_bob: dict[str, str], side: str, status: str, code: str
    ) -> None:
        source = await money.fund(money.alice, "USD", "10")
        payees = to_bob.get("toWalletBizId") or await money.fund(money.bob, "USD", "1")
        wallet = source if side == "payer" else payees
        body = {"fromWalletBizId": source, **to_bob, "amount": "3"}
        key = {"Idempotency-Key": f"k-{side}-{status}"}

        async def set_status(value: str) -> None:
            await money.session.execute(
                across_workspaces(
                    update(Wallet).where(Wallet.biz_id == wallet).values(status=value),
                    "the test's own wallet",
                )
            )
            await money.session.commit()

        await set_status(status)
        assert_error(await transfer(money.alice, body, **key), 400, code)
        await set_status("ACTIVE")
        assert_ok(await transfer(money.alice, body, **key), "2001", 201)
        assert await balance(money.alice, source) == "7.00"
        assert await balance(money.bob, payees) == "4.00"
        await books_balance(money)


class TestAnswer:
    """The 201 answer is the order as every read shows it (on PostgreSQL the booking call
    writes it around the values only the locked wallets tell)."""

    @pytest.mark.parametrize(
        ("currency", "amount", "wire", "fee"),
        [
            ("USD", "12.3", "12.30", "0.00"),
            ("JPY", 5, "5", "0"),
            ("USDT", "0.000001", "0.000001", "0.000000"),
        ],
    )
    @pytest.mark.parametrize("keyed", [True, False])
    async def test_the_answer_is_the_order_as_read(
        self, money: Money, currency: str, amount: Any, wire: str, fee: str, keyed: bool
    ) -> None:
        source = await money.fund(money.alice, currency, "100")
        target = await money.fund(money.bob, currency, "1")
        body = {
            "fromWalletBizId": source,
            "toWalletBizId": target,
            "amount": amount,
            "currency": currency.lower(),
            "remark": 'a "quoted" \\ remark\nwith ünïcödé, 漢字 and \u2028 \t\x7f',
        }
        if keyed:  # the clientReference is the key
            body["clientReference"] = f"ref-{currency}"
        created = await transfer(money.alice, body)
        order = assert_ok(created, "2001", 201)
        assert list(order) == ORDER_FIELDS
        assert (order["amount"], order["fee"], order["currency"]) == (wire, fee, currency)
        assert order["payeeAccountBizId"] == money.bob.account.biz_id
        assert order["remark"] == body["remark"]
        read = assert_ok(
            await money.alice.get(f"{money.alice.transfers}/query/orders/{order['bizId']}")
        )
        assert read == order
        again = await transfer(money.alice, body)
        if keyed:
            assert again.content == created.content
            assert again.headers["Idempotent-Replayed"] == "true"
        else:
            assert assert_ok(again, "2001", 201)["bizId"] != order["bizId"]
        await books_balance(money)

    async def test_a_payee_wallet_without_an_owner_account(self, money: Money) -> None:
        """The payee's account bizId is null when its workspace has no owner member."""
        source = await money.fund(money.alice, "USD", "10")
        target = await money.fund(money.bob, "USD", "1")
        await money.session.execute(
            across_workspaces(
                update(WorkspaceMember)
                .where(WorkspaceMember.workspace_id == money.bob.workspace.id)
                .values(is_owner=False),
                "the test's payee workspace",
            )
        )
        await money.session.commit()
        order = assert_ok(
            await transfer(
                money.alice, {"fromWalletBizId": source, "toWalletBizId": target, "amount": "1"}
            ),
            "2001",
            201,
        )
        assert order["payeeAccountBizId"] is None
        read = assert_ok(
            await money.alice.get(f"{money.alice.transfers}/query/orders/{order['bizId']}")
        )
        assert read == order


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
