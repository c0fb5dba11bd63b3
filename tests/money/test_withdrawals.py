"""Withdrawals: saved payout channels (bank accounts masked, crypto addresses), create (the
amount is frozen), cancel while PENDING (released), the issuer's complete (paid out) / reject
(released) as service calls and through the `portico withdrawal` command, lists, and
idempotent creates.

After every scenario the ledger still balances (`ledger.verify` finds nothing)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico import cli
from portico.config import get_settings
from portico.ledger import service as ledger
from portico.ledger.errors import InvalidOrderState
from portico.ledger.models import LedgerEntry
from portico.withdrawals import service
from portico.withdrawals.models import Withdrawal, WithdrawalChannel
from tests.support.money import Money, User
from tests.support.portal import EMPTY_PAGE, assert_error, assert_ok

CHANNEL_FIELDS = [
    "bizId",
    "channelType",
    "channelName",
    "currency",
    "accountName",
    "accountNumber",
    "bankName",
    "bankCode",
    "country",
    "network",
    "address",
    "isDefault",
    "createdAt",
    "updatedAt",
]
WITHDRAWAL_FIELDS = [
    "bizId",
    "workspaceBizId",
    "walletBizId",
    "withdrawalChannelBizId",
    "amount",
    "fee",
    "actualAmount",
    "currency",
    "withdrawalStatus",
    "remark",
    "cancelReason",
    "rejectReason",
    "createdAt",
    "updatedAt",
    "completedAt",
]
PAGINATION_FIELDS = [
    "totalPages",
    "totalRecords",
    "currentPage",
    "pageSize",
    "hasNext",
    "empty",
    "paginated",
]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
INVALID = "VALIDATION.INVALID_PARAMETER"
NOT_FOUND = "RESOURCE.NOT_FOUND"
INVALID_STATE = "ORDER.INVALID_STATE"
INSUFFICIENT = "WALLET.INSUFFICIENT_BALANCE"
MISMATCH = "WALLET.CURRENCY_MISMATCH"
IBAN = "GB29NWBK60161331926819"
TRON_ADDRESS = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"


def enum(code: str, value: int, label: str, description: str) -> dict[str, Any]:
    return {"code": code, "value": value, "label": label, "description": description}


PENDING = enum("PENDING", 10060801, "Pending", "Amount frozen; awaiting the issuer")
COMPLETED = enum("COMPLETED", 10060802, "Completed", "Paid out")
REJECTED = enum("REJECTED", 10060803, "Rejected", "Rejected by the issuer; funds released")
CANCELLED = enum("CANCELLED", 10060804, "Cancelled", "Cancelled by the user; funds released")
BANK_TRANSFER = enum("BANK_TRANSFER", 10060901, "Bank Transfer", "Bank account")
CRYPTO = enum("CRYPTO", 10060902, "Crypto", "Blockchain address")


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
async def books_balance(money: Money) -> AsyncIterator[None]:
    """After every scenario, the books recomputed from the entries match every balance."""
    yield
    async with AsyncSession(money.session.bind) as fresh:
        assert await ledger.verify(fresh) == []


def bank(**fields: Any) -> dict[str, Any]:
    return {
        "channelType": "BANK_TRANSFER",
        "channelName": "Main account",
        "currency": "USD",
        "accountName": "Alice Example",
        "accountNumber": IBAN,
        **fields,
    }


def crypto(**fields: Any) -> dict[str, Any]:
    return {
        "channelType": "CRYPTO",
        "channelName": "Tron wallet",
        "currency": "USDT",
        "network": "TRC20",
        "address": TRON_ADDRESS,
        **fields,
    }


async def add_channel(user: User, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await user.post("/withdrawal-channels", body or bank())
    data: dict[str, Any] = assert_ok(response, "2001", 201)
    return data


async def withdraw(
    user: User,
    wallet: str,
    channel: str,
    amount: Any = "30",
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    body = {"walletBizId": wallet, "withdrawalChannelBizId": channel, "amount": amount, **extra}
    return await user.post("/withdrawals", body, headers=headers)


async def created(user: User, wallet: str, channel: str, amount: Any = "30") -> dict[str, Any]:
    data: dict[str, Any] = assert_ok(await withdraw(user, wallet, channel, amount), "2001", 201)
    return data


async def balances(user: User, wallet: str) -> tuple[str, str, str]:
    """(available, frozen, total) as the API shows them."""
    data = assert_ok(await user.get(f"/wallets/{wallet}/balance"))
    return data["availableBalance"], data["frozenBalance"], data["totalBalance"]


async def status_of(user: User, biz_id: str) -> str:
    return str(assert_ok(await user.get(f"/withdrawals/{biz_id}"))["withdrawalStatus"]["code"])


async def complete(money: Money, biz_id: str) -> None:
    """The issuer pays the withdrawal out, in a transaction of its own."""
    async with AsyncSession(money.session.bind, expire_on_commit=False) as s:
        withdrawal = await service.get_for_issuer(s, withdrawal_biz_id=biz_id)
        await service.complete(s, withdrawal=withdrawal)
        await s.commit()


async def reject(money: Money, biz_id: str, reason: str | None = None) -> None:
    async with AsyncSession(money.session.bind, expire_on_commit=False) as s:
        withdrawal = await service.get_for_issuer(s, withdrawal_biz_id=biz_id)
        await service.reject(s, withdrawal=withdrawal, reason=reason)
        await s.commit()


async def legs(money: Money, order_biz_id: str) -> list[tuple[str, int]]:
    """The ledger entries posted for an order: (account, signed minor amount)."""
    rows = await money.session.execute(
        select(LedgerEntry.account, LedgerEntry.amount)
        .where(LedgerEntry.order_biz_id == order_biz_id)
        .order_by(LedgerEntry.id)
    )
    return [(account, int(amount)) for account, amount in rows.all()]


async def count(money: Money, model: type[Any]) -> int:
    return int(await money.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def portico_command(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Awaitable[int]]]:
    """Runs `portico ARGS…` (the real entry point) against the test database; its exit code."""
    monkeypatch.setenv("PORTICO_DATABASE_URL", database_url)
    get_settings.cache_clear()

    async def run(*argv: str) -> int:
        # the command runs its own event loop: give it a thread of its own
        return await asyncio.to_thread(cli.main, list(argv))

    yield run
    get_settings.cache_clear()


# --- channels -----------------------------------------------------------------------------------


class TestChannels:
    async def test_bank_account_number_is_masked(self, money: Money) -> None:
        assert assert_ok(await money.alice.get("/withdrawal-channels")) == []
        response = await money.alice.post(
            "/withdrawal-channels",
            bank(
                accountNumber=f" {IBAN} ",
                currency="usd",
                bankName="NatWest",
                bankCode="NWBK",
                country="gb",
            ),
        )
        channel = assert_ok(response, "2001", 201)
        assert list(channel) == CHANNEL_FIELDS
        assert channel["channelType"] == BANK_TRANSFER
        assert channel["channelName"] == "Main account"
        assert channel["currency"] == "USD" and channel["country"] == "GB"
        assert channel["accountName"] == "Alice Example"
        assert channel["accountNumber"] == "****6819"
        assert (channel["bankName"], channel["bankCode"]) == ("NatWest", "NWBK")
        assert channel["network"] is None and channel["address"] is None
        assert channel["isDefault"] is True  # the first channel is the default
        assert TIMESTAMP.match(channel["createdAt"]) and TIMESTAMP.match(channel["updatedAt"])
        assert "60161331" not in response.text

        listed = await money.alice.get("/withdrawal-channels")
        assert assert_ok(listed) == [channel]
        assert "60161331" not in listed.text
        # another workspace does not see it
        assert assert_ok(await money.bob.get("/withdrawal-channels")) == []

    async def test_crypto_address(self, money: Money) -> None:
        response = await money.alice.post(
            "/withdrawal-channels",
            # bank fields on a crypto channel are dropped
            crypto(channelName="n" * 100, accountName="Alice", accountNumber="12345678"),
        )
        channel = assert_ok(response, "2001", 201)
        assert list(channel) == CHANNEL_FIELDS
        assert channel["channelType"] == CRYPTO
        assert channel["channelName"] == "n" * 100
        assert channel["currency"] == "USDT"
        assert (channel["network"], channel["address"]) == ("TRC20", TRON_ADDRESS)
        assert channel["accountName"] is None and channel["accountNumber"] is None
        assert channel["bankName"] is None and channel["bankCode"] is None
        # crypto fields on a bank channel are dropped too
        other = await add_channel(money.alice, bank(network="TRC20", address=TRON_ADDRESS))
        assert other["network"] is None and other["address"] is None

    async def test_one_default_listed_first(self, money: Money) -> None:
        first = await add_channel(money.alice, bank(channelName="First"))
        second = await add_channel(money.alice, crypto(channelName="Second"))
        assert (first["isDefault"], second["isDefault"]) == (True, False)
        third = await add_channel(money.alice, bank(channelName="Third", isDefault=True))
        assert third["isDefault"] is True
        listed = assert_ok(await money.alice.get("/withdrawal-channels"))
        assert [(c["channelName"], c["isDefault"]) for c in listed] == [
            ("Third", True),
            ("First", False),
            ("Second", False),
        ]

    async def test_bad_bodies(self, money: Money) -> None:
        bodies: list[Any] = [
            None,
            [],
            {},
            bank(accountName=None),
            bank(accountNumber=None),
            bank(accountName=""),
            bank(accountNumber="123"),
            bank(accountNumber="1234!5678"),
            bank(accountNumber="1" * 65),
            bank(accountNumber=12345678),
            crypto(network=None),
            crypto(address=None),
            crypto(address="short"),
            crypto(address="has spaces in it"),
            crypto(network="n" * 33),
            bank(channelType="CASH"),
            bank(channelType="bank_transfer"),
            bank(channelType=None),
            bank(currency="XXX"),
            bank(currency=""),
            bank(currency=None),
            bank(channelName=""),
            bank(channelName="   "),
            bank(channelName=None),
            # longer than its column (regression: stored on SQLite, a 500 on PostgreSQL)
            bank(channelName="n" * 101),
            bank(country="GBR"),
            bank(country="G1"),
            bank(isDefault="yes"),
        ]
        for body in bodies:
            response = await money.alice.post("/withdrawal-channels", body)
            assert_error(response, 400, INVALID)
        assert assert_ok(await money.alice.get("/withdrawal-channels")) == []
        assert await count(money, WithdrawalChannel) == 0


# --- create -------------------------------------------------------------------------------------


class TestCreate:
    async def test_freezes_the_amount(self, money: Money) -> None:
        wallet = await money.fund(money.alice, "USD", "100")
        channel = (await add_channel(money.alice))["bizId"]
        response = await withdraw(money.alice, wallet, channel, "30.25", remark="rent")
        withdrawal = assert_ok(response, "2001", 201)
        assert list(withdrawal) == WITHDRAWAL_FIELDS
        assert withdrawal["withdrawalStatus"] == PENDING
        assert withdrawal["workspaceBizId"] == money.alice.workspace.biz_id
        assert withdrawal["walletBizId"] == wallet
        assert withdrawal["withdrawalChannelBizId"] == channel
        assert (withdrawal["amount"], withdrawal["fee"], withdrawal["actualAmount"]) == (
            "30.25",
            "0.00",
            "30.25",
        )
        assert withdrawal["currency"] == "USD" and withdrawal["remark"] == "rent"
        assert withdrawal["cancelReason"] is None and withdrawal["rejectReason"] is None
        assert withdrawal["completedAt"] is None
        assert TIMESTAMP.match(withdrawal["createdAt"])
        assert TIMESTAMP.match(withdrawal["updatedAt"])
        assert assert_ok(await money.alice.get(f"/withdrawals/{withdrawal['bizId']}")) == withdrawal

        # available down, frozen up, the total unchanged
        assert await balances(money.alice, wallet) == ("69.75", "30.25", "100.00")
        flows = assert_ok(await money.alice.get(f"/wallets/{wallet}/flows"))
        flow = flows["items"][0]
        assert flow["direction"]["code"] == "OUT" and flow["bizType"]["code"] == "WITHDRAWAL"
        assert flow["bizOrderId"] == withdrawal["bizId"] and flow["remark"] == "frozen"
        assert (flow["amount"], flow["balanceBefore"], flow["balanceAfter"]) == (
            "30.25",
            "100.00",
            "69.75",
        )
        assert await legs(money, withdrawal["bizId"]) == [("WALLET", -3025), ("FROZEN", 3025)]

    async def test_stablecoin_has_six_decimals(self, money: Money) -> None:
        wallet = await money.fund(money.alice, "USDT", "5")
        channel = (await add_channel(money.alice, crypto()))["bizId"]
        withdrawal = await created(money.alice, wallet, channel, "1.234567")
        assert withdrawal["currency"] == "USDT"
        assert (withdrawal["amount"], withdrawal["fee"], withdrawal["actualAmount"]) == (
            "1.234567",
            "0.000000",
            "1.234567",
        )
        assert await balances(money.alice, wallet) == ("3.765433", "1.234567", "5.000000")
        response = await withdraw(money.alice, wallet, channel, "0.0000001")
        assert_error(response, 400, INVALID)

    async def test_insufficient_balance_moves_nothing(self, money: Money) -> None:
        wallet = await money.fund(money.alice, "USD", "10")
        channel = (await add_channel(money.alice))["bizId"]
        assert_error(await withdraw(money.alice, wallet, channel, "10.01"), 400, INSUFFICIENT)
        assert await balances(money.alice, wallet) == ("10.00", "0.00", "10.00")
        assert await count(money, Withdrawal) == 0
        # the whole available balance can go; what is frozen cannot be withdrawn again
        await created(money.alice, wallet, channel, "10")
        assert_error(await withdraw(money.alice, wallet, channel, "0.01"), 400, INSUFFICIENT)
        assert await balances(money.alice, wallet) == ("0.00", "10.00", "10.00")
        assert await count(money, Withdrawal) == 1

    async def test_currency_mismatch(self, money: Money) -> None:
        usd = await money.fund(money.alice, "USD", "100")
        eur_channel = (await add_channel(money.alice, bank(currency="EUR")))["bizId"]
        usdt_channel = (await add_channel(money.alice, crypto()))["bizId"]
        for channel in (eur_channel, usdt_channel):
            assert_error(await withdraw(money.alice, usd, channel, "1"), 400, MISMATCH)
        assert await balances(money.alice, usd) == ("100.00", "0.00", "100.00")
        assert await count(money, Withdrawal) == 0

    async def test_unknown_or_foreign_wallet_or_channel(self, money: Money) -> None:
        alices_wallet = await money.fund(money.alice, "USD", "100")
        bobs_wallet = await money.fund(money.bob, "USD", "100")
        alices_channel = (await add_channel(money.alice))["bizId"]
        bobs_channel = (await add_channel(money.bob))["bizId"]
        for wallet, channel in (
            (alices_wallet, bobs_channel),
            (bobs_wallet, alices_channel),
            (bobs_wallet, bobs_channel),
            ("nope", alices_channel),
            (alices_wallet, "nope"),
            ("w" * 64, alices_channel),
        ):
            assert_error(await withdraw(money.alice, wallet, channel, "1"), 404, NOT_FOUND)
        assert await balances(money.alice, alices_wallet) == ("100.00", "0.00", "100.00")
        assert await balances(money.bob, bobs_wallet) == ("100.00", "0.00", "100.00")
        assert await count(money, Withdrawal) == 0

    async def test_bad_amounts_and_bodies(self, money: Money) -> None:
        wallet = await money.fund(money.alice, "USD", "100")
        channel = (await add_channel(money.alice))["bizId"]
        for amount in (
            0,
            "0",
            "0.00",
            -1,
            "-1.00",
            "1.001",
            0.001,
            "1e3",
            "NaN",
            "Infinity",
            True,
            "1000000000000000",
            1000000000000000,
            "",
            "abc",
            None,
        ):
            assert_error(await withdraw(money.alice, wallet, channel, amount), 400, INVALID)
        base = {"walletBizId": wallet, "withdrawalChannelBizId": channel, "amount": "1"}
        for body in (
            None,
            {},
            {k: v for k, v in base.items() if k != "walletBizId"},
            {k: v for k, v in base.items() if k != "withdrawalChannelBizId"},
            {k: v for k, v in base.items() if k != "amount"},
            {**base, "walletBizId": 5},
            {**base, "withdrawalChannelBizId": ""},
            {**base, "remark": "r" * 201},
        ):
            assert_error(await money.alice.post("/withdrawals", body), 400, INVALID)
        assert await balances(money.alice, wallet) == ("100.00", "0.00", "100.00")
        assert await count(money, Withdrawal) == 0

    async def test_another_workspace_withdrawal_is_not_found(self, money: Money) -> None:
        wallet = await money.fund(money.alice, "USD", "100")
        channel = (await add_channel(money.alice))["bizId"]
        biz_id = (await created(money.alice, wallet, channel, "40"))["bizId"]
        assert_error(await money.bob.get(f"/withdrawals/{biz_id}"), 404, NOT_FOUND)
        assert_error(await money.bob.post(f"/withdrawals/{biz_id}/cancel"), 404, NOT_FOUND)
        for unknown in ("nope", "x" * 100):
            assert_error(await money.alice.get(f"/withdrawals/{unknown}"), 404, NOT_FOUND)
            assert_error(await money.alice.post(f"/withdrawals/{unknown}/cancel"), 404, NOT_FOUND)
        assert assert_ok(await money.bob.get("/withdrawals"))["items"] == []
        assert await status_of(money.alice, biz_id) == "PENDING"
        assert await balances(money.alice, wallet) == ("60.00", "40.00", "100.00")


# --- cancel and the issuer ----------------------------------------------------------------------


class TestCancel:
    async def test_cancel_releases_the_frozen_amount(self, money: Money) -> None:
        wallet = await money.fund(money.alice, "USD", "100")
        channel = (await add_channel(money.alice))["bizId"]
        biz_id = (await created(money.alice, wallet, channel, "30"))["bizId"]
        cancelled = assert_ok(await money.alice.post(f"/withdrawals/{biz_id}/cancel"))
        assert list(cancelled) == WITHDRAWAL_FIELDS
        assert cancelled["withdrawalStatus"] == CANCELLED
        assert cancelled["cancelReason"] == "Cancelled by the user"
        assert cancelled["completedAt"] is None
        assert await balances(money.alice, wallet) == ("100.00", "0.00", "100.00")
        flow = assert_ok(await money.alice.get(f"/wallets/{wallet}/flows"))["items"][0]
        assert flow["direction"]["code"] == "IN" and flow["remark"] == "released"
        assert (flow["balanceBefore"], flow["balanceAfter"]) == ("70.00", "100.00")
        assert await legs(money, biz_id) == [
            ("WALLET", -3000),
            ("FROZEN", 3000),
            ("FROZEN", -3000),
            ("WALLET", 3000),
        ]
        # once cancelled, nothing more happens to it
        assert_error(await money.alice.post(f"/withdrawals/{biz_id}/cancel"), 400, INVALID_STATE)
        with pytest.raises(InvalidOrderState):
            await complete(money, biz_id)
        with pytest.raises(InvalidOrderState):
            await reject(money, biz_id)
        assert assert_ok(await money.alice.get(f"/withdrawals/{biz_id}")) == cancelled
        assert await balances(money.alice, wallet) == ("100.00", "0.00", "100.00")
        assert len(await legs(money, biz_id)) == 4


class TestIssuer:
    async def test_complete_pays_the_frozen_amount_out(self, money: Money) -> None:
        wallet = await money.fund(money.alice, "USD", "100")
        channel = (await add_channel(money.alice))["bizId"]
        biz_id = (await created(money.alice, wallet, channel, "40"))["bizId"]
        await complete(money, biz_id)
        done = assert_ok(await money.alice.get(f"/withdrawals/{biz_id}"))
        assert done["withdrawalStatus"] == COMPLETED
        assert TIMESTAMP.match(done["completedAt"])
        assert done["cancelReason"] is None and done["rejectReason"] is None
        assert await balances(money.alice, wallet) == ("60.00", "0.00", "60.00")
        assert await legs(money, biz_id) == [
            ("WALLET", -4000),
            ("FROZEN", 4000),
            ("FROZEN", -4000),
            ("SETTLEMENT", 4000),
        ]
        # the pay-out touches the frozen bucket only: the available flows end at the freeze
        flows = assert_ok(await money.alice.get(f"/wallets/{wallet}/flows"))
        assert [(f["bizType"]["code"], f["remark"]) for f in flows["items"]] == [
            ("WITHDRAWAL", "frozen"),
            ("RECHARGE", None),
        ]
        assert flows["items"][0]["bizOrderId"] == biz_id
        # once paid out, it can be neither cancelled nor settled again
        assert_error(await money.alice.post(f"/withdrawals/{biz_id}/cancel"), 400, INVALID_STATE)
        with pytest.raises(InvalidOrderState):
            await complete(money, biz_id)
        with pytest.raises(InvalidOrderState):
            await reject(money, biz_id, "too late")
        assert await status_of(money.alice, biz_id) == "COMPLETED"
        assert await balances(money.alice, wallet) == ("60.00", "0.00", "60.00")
        assert len(await legs(money, biz_id)) == 4

    async def test_reject_releases_the_frozen_amount(self, money: Money) -> None:
        wallet = await money.fund(money.alice, "USD", "100")
        channel = (await add_channel(money.alice))["bizId"]
        biz_id = (await created(money.alice, wallet, channel, "40"))["bizId"]
        await reject(money, biz_id, "account closed")
        rejected = assert_ok(await money.alice.get(f"/withdrawals/{biz_id}"))
        assert rejected["withdrawalStatus"] == REJECTED
        assert rejected["rejectReason"] == "account closed"
        assert rejected["completedAt"] is None
        assert await balances(money.alice, wallet) == ("100.00", "0.00", "100.00")
        flow = assert_ok(await money.alice.get(f"/wallets/{wallet}/flows"))["items"][0]
        assert flow["remark"] == "released" and flow["balanceAfter"] == "100.00"
        with pytest.raises(InvalidOrderState):
            await complete(money, biz_id)
        assert_error(await money.alice.post(f"/withdrawals/{biz_id}/cancel"), 400, INVALID_STATE)
        assert await balances(money.alice, wallet) == ("100.00", "0.00", "100.00")


class TestCommandLine:
    async def test_complete_then_a_second_complete_exits_non_zero(
        self,
        money: Money,
        portico_command: Callable[..., Awaitable[int]],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        wallet = await money.fund(money.alice, "USD", "100")
        channel = (await add_channel(money.alice))["bizId"]
        biz_id = (await created(money.alice, wallet, channel, "25"))["bizId"]

        assert await portico_command("withdrawal", "complete", biz_id) == 0
        assert f"withdrawal {biz_id} COMPLETED: paid out" in capsys.readouterr().out
        assert await status_of(money.alice, biz_id) == "COMPLETED"
        assert await balances(money.alice, wallet) == ("75.00", "0.00", "75.00")

        assert await portico_command("withdrawal", "complete", biz_id) == 1
        assert f"refused: {INVALID_STATE}" in capsys.readouterr().err
        assert await portico_command("withdrawal", "reject", biz_id) == 1
        assert f"refused: {INVALID_STATE}" in capsys.readouterr().err
        assert await balances(money.alice, wallet) == ("75.00", "0.00", "75.00")
        assert len(await legs(money, biz_id)) == 4

        assert await portico_command("ledger", "verify") == 0
        assert "ledger verified" in capsys.readouterr().out

    async def test_reject_releases_and_unknown_withdrawal(
        self,
        money: Money,
        portico_command: Callable[..., Awaitable[int]],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        wallet = await money.fund(money.alice, "USD", "100")
        channel = (await add_channel(money.alice))["bizId"]
        biz_id = (await created(money.alice, wallet, channel, "25"))["bizId"]
        assert await portico_command("withdrawal", "reject", biz_id, "--reason", "closed") == 0
        assert f"withdrawal {biz_id} REJECTED: funds released" in capsys.readouterr().out
        rejected = assert_ok(await money.alice.get(f"/withdrawals/{biz_id}"))
        assert rejected["withdrawalStatus"] == REJECTED and rejected["rejectReason"] == "closed"
        assert await balances(money.alice, wallet) == ("100.00", "0.00", "100.00")
        assert await portico_command("withdrawal", "complete", biz_id) == 1
        assert f"refused: {INVALID_STATE}" in capsys.readouterr().err
        assert await portico_command("withdrawal", "complete", "nope") == 1
        assert f"refused: {NOT_FOUND}" in capsys.readouterr().err
        assert await balances(money.alice, wallet) == ("100.00", "0.00", "100.00")


# --- lists and idempotency ----------------------------------------------------------------------


class TestList:
    async def test_newest_first_paged_and_filtered_by_status(self, money: Money) -> None:
        empty = assert_ok(await money.alice.get("/withdrawals"))
        assert empty == EMPTY_PAGE
        wallet = await money.fund(money.alice, "USD", "100")
        channel = (await add_channel(money.alice))["bizId"]
        first = (await created(money.alice, wallet, channel, "1"))["bizId"]
        second = (await created(money.alice, wallet, channel, "2"))["bizId"]
        third = (await created(money.alice, wallet, channel, "3"))["bizId"]
        fourth = (await created(money.alice, wallet, channel, "4"))["bizId"]
        assert_ok(await money.alice.post(f"/withdrawals/{second}/cancel"))
        await complete(money, third)
        await reject(money, fourth)
        bobs_wallet = await money.fund(money.bob, "USD", "5")
        await created(money.bob, bobs_wallet, (await add_channel(money.bob))["bizId"], "5")

        page = assert_ok(await money.alice.get("/withdrawals"))
        assert list(page) == ["items", "pagination"]
        assert [w["bizId"] for w in page["items"]] == [fourth, third, second, first]
        assert all(list(w) == WITHDRAWAL_FIELDS for w in page["items"])
        assert list(page["pagination"]) == PAGINATION_FIELDS
        assert page["pagination"]["totalRecords"] == 4
        assert page["pagination"]["hasNext"] is False
        for status, expected in (
            ("PENDING", [first]),
            ("CANCELLED", [second]),
            ("COMPLETED", [third]),
            ("REJECTED", [fourth]),
        ):
            filtered = assert_ok(await money.alice.get("/withdrawals", status=status))
            assert [w["bizId"] for w in filtered["items"]] == expected, status
            assert filtered["items"][0]["withdrawalStatus"]["code"] == status
            assert filtered["pagination"]["totalRecords"] == 1

        one = assert_ok(await money.alice.get("/withdrawals", pageSize=3))
        assert [w["bizId"] for w in one["items"]] == [fourth, third, second]
        assert one["pagination"] == {
            "totalPages": 2,
            "totalRecords": 4,
            "currentPage": 1,
            "pageSize": 3,
            "hasNext": True,
            "empty": False,
            "paginated": True,
        }
        for params in ({"status": "UNDER_REVIEW"}, {"status": "nope"}, {"size": 0}):
            assert_error(await money.alice.get("/withdrawals", **params), 400, INVALID)
        assert await balances(money.alice, wallet) == ("96.00", "1.00", "97.00")


class TestIdempotency:
    async def test_replay_freezes_once(self, money: Money) -> None:
        wallet = await money.fund(money.alice, "USD", "100")
        channel = (await add_channel(money.alice))["bizId"]
        headers = {"Idempotency-Key": "wd-0001"}
        first = await withdraw(money.alice, wallet, channel, "30", headers=headers)
        original = assert_ok(first, "2001", 201)
        replay = await withdraw(money.alice, wallet, channel, "30", headers=headers)
        assert assert_ok(replay, "2001", 201) == original
        assert replay.headers.get("Idempotent-Replayed") == "true"
        assert await count(money, Withdrawal) == 1
        assert await balances(money.alice, wallet) == ("70.00", "30.00", "100.00")

        other = await withdraw(money.alice, wallet, channel, "31", headers=headers)
        assert_error(other, 409, "REQUEST.IDEMPOTENCY_CONFLICT")
        assert await count(money, Withdrawal) == 1
        assert await balances(money.alice, wallet) == ("70.00", "30.00", "100.00")

    async def test_a_refused_attempt_does_not_burn_the_key(self, money: Money) -> None:
        wallet = await money.fund(money.alice, "USD", "10")
        channel = (await add_channel(money.alice))["bizId"]
        headers = {"Idempotency-Key": "wd-0002"}
        refused = await withdraw(money.alice, wallet, channel, "11", headers=headers)
        assert_error(refused, 400, INSUFFICIENT)
        money_in = await money.fund(money.alice, "USD", "5")
        assert money_in == wallet
        retried = await withdraw(money.alice, wallet, channel, "11", headers=headers)
        assert assert_ok(retried, "2001", 201)["amount"] == "11.00"
        assert await balances(money.alice, wallet) == ("4.00", "11.00", "15.00")
