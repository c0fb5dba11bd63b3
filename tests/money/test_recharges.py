"""Recharges: the institution's pay-in channels, quotes, create (PENDING, wallet made on first
use), proof (UNDER_REVIEW), cancel (only while PENDING), the issuer's approve / reject (as
service calls and through the `portico recharge` command), lists, and idempotent creates.

After every scenario the ledger still balances (`ledger.verify` finds nothing)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico import cli
from portico.config import get_settings
from portico.files.filetypes import FilePurpose
from portico.ledger import service as ledger
from portico.ledger.errors import InvalidOrderState
from portico.ledger.models import LedgerEntry
from portico.recharges import service
from portico.recharges.models import Recharge
from tests.factories.files import create_file
from tests.factories.institutions import create_institution
from tests.factories.money import create_recharge_channel
from tests.support.money import Money, User
from tests.support.portal import EMPTY_PAGE, assert_error, assert_ok


async def proof(money: Money, user: User | None = None) -> str:
    """A recharge proof file of the user's (Alice's) workspace."""
    stored = await create_file(money.session, workspace=(user or money.alice).workspace)
    await money.session.commit()
    return stored.biz_id


RECHARGE_FIELDS = [
    "bizId",
    "workspaceBizId",
    "walletBizId",
    "channelBizId",
    "amount",
    "fee",
    "actualAmount",
    "currency",
    "rechargeStatus",
    "proofFileBizId",
    "cancelReason",
    "rejectReason",
    "remark",
    "createdAt",
    "updatedAt",
    "completedAt",
]
CHANNEL_FIELDS = [
    "bizId",
    "channelName",
    "channelType",
    "currency",
    "minAmount",
    "maxAmount",
    "feeRate",
    "fixedFee",
    "instructions",
]
QUOTE_FIELDS = ["channelBizId", "amount", "fee", "actualAmount", "currency", "expiresAt"]
PAGINATION_FIELDS = [
    "totalPages",
    "totalRecords",
    "currentPage",
    "pageSize",
    "hasNext",
    "empty",
    "paginated",
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
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
INVALID = "VALIDATION.INVALID_PARAMETER"
NOT_FOUND = "RESOURCE.NOT_FOUND"
INVALID_STATE = "ORDER.INVALID_STATE"
OUT_OF_RANGE = "RECHARGE.AMOUNT_OUT_OF_RANGE"


def enum(code: str, value: int, label: str, description: str) -> dict[str, Any]:
    return {"code": code, "value": value, "label": label, "description": description}


PENDING = enum("PENDING", 10060701, "Pending", "Recharge awaits payment or proof")
UNDER_REVIEW = enum(
    "UNDER_REVIEW", 10060702, "Under Review", "Proof received; the issuer is reviewing it"
)
COMPLETED = enum("COMPLETED", 10060703, "Completed", "Wallet credited")
REJECTED = enum("REJECTED", 10060704, "Rejected", "Rejected by the issuer")
CANCELLED = enum("CANCELLED", 10060705, "Cancelled", "Cancelled by the user")
BANK_TRANSFER = enum("BANK_TRANSFER", 10060901, "Bank Transfer", "Bank account")


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
async def books_balance(money: Money) -> AsyncIterator[None]:
    """After every scenario, the books recomputed from the entries match every balance."""
    yield
    async with AsyncSession(money.session.bind) as fresh:
        assert await ledger.verify(fresh) == []


async def add_channel(money: Money, **options: Any) -> str:
    """A recharge channel of Alice and Bob's institution; returns its bizId."""
    channel = await create_recharge_channel(
        money.session, institution_id=money.institution.institution_id, **options
    )
    await money.session.commit()
    return channel.biz_id


async def create(user: User, channel: str, amount: Any = "100", **extra: Any) -> dict[str, Any]:
    body = {"channelBizId": channel, "amount": amount, **extra}
    data: dict[str, Any] = assert_ok(await user.post("/recharges", body), "2001", 201)
    return data


async def post_raw(user: User, path: str, text: str) -> Any:
    """POST a JSON text as is (JSON literals httpx would not write, like NaN)."""
    headers = user.portal.headers(user.token, **{"Content-Type": "application/json"})
    return await user.portal.http.post(user.portal.prefix + path, content=text, headers=headers)


async def status_of(user: User, biz_id: str) -> str:
    return str(assert_ok(await user.get(f"/recharges/{biz_id}"))["rechargeStatus"]["code"])


async def balance(user: User, wallet: str) -> dict[str, Any]:
    data: dict[str, Any] = assert_ok(await user.get(f"/wallets/{wallet}/balance"))
    return data


async def available(user: User, wallet: str) -> str:
    return str((await balance(user, wallet))["availableBalance"])


async def approve(money: Money, biz_id: str) -> None:
    """The issuer approves, in a transaction of its own."""
    async with AsyncSession(money.session.bind, expire_on_commit=False) as s:
        recharge = await service.get_for_issuer(s, recharge_biz_id=biz_id)
        await service.approve(s, recharge=recharge)
        await s.commit()


async def reject(money: Money, biz_id: str, reason: str | None = None) -> None:
    async with AsyncSession(money.session.bind, expire_on_commit=False) as s:
        recharge = await service.get_for_issuer(s, recharge_biz_id=biz_id)
        await service.reject(s, recharge=recharge, reason=reason)
        await s.commit()


async def legs(money: Money, order_biz_id: str) -> list[tuple[str, int]]:
    """The ledger entries posted for an order: (account, signed minor amount)."""
    rows = await money.session.execute(
        select(LedgerEntry.account, LedgerEntry.amount)
        .where(LedgerEntry.order_biz_id == order_biz_id)
        .order_by(LedgerEntry.id)
    )
    return [(account, int(amount)) for account, amount in rows.all()]


async def count_recharges(money: Money) -> int:
    return int(await money.session.scalar(select(func.count()).select_from(Recharge)) or 0)


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


# --- channels and quotes ----------------------------------------------------------------------


class TestChannels:
    async def test_lists_the_institution_enabled_channels(self, money: Money) -> None:
        assert assert_ok(await money.alice.get("/recharges/available-channels")) == []
        usd = await add_channel(
            money, fee_bps=150, fixed_fee="0.50", min_amount="10", max_amount="5000"
        )
        usdt = await add_channel(money, currency="USDT", max_amount=None)
        other = await create_institution(money.session)
        await create_recharge_channel(money.session, institution_id=other.institution_id)
        off = await create_recharge_channel(
            money.session, institution_id=money.institution.institution_id, currency="EUR"
        )
        off.enabled = False
        await money.session.commit()

        channels = assert_ok(await money.alice.get("/recharges/available-channels"))
        assert [c["bizId"] for c in channels] == [usd, usdt]
        assert all(list(c) == CHANNEL_FIELDS for c in channels)
        assert channels[0] == {
            "bizId": usd,
            "channelName": "USD bank",
            "channelType": BANK_TRANSFER,
            "currency": "USD",
            "minAmount": "10.00",
            "maxAmount": "5000.00",
            "feeRate": "0.015",
            "fixedFee": "0.50",
            "instructions": "Pay to account 123",
        }
        assert channels[1]["minAmount"] == "1.000000"
        assert channels[1]["maxAmount"] is None
        assert channels[1]["feeRate"] == "0" and channels[1]["fixedFee"] == "0.000000"


class TestQuote:
    async def test_fee_from_rate_and_fixed_fee(self, money: Money) -> None:
        channel = await add_channel(money, fee_bps=100, fixed_fee="0.50")
        quote = assert_ok(
            await money.alice.post("/recharges/quote", {"channelBizId": channel, "amount": "200"})
        )
        assert list(quote) == QUOTE_FIELDS
        assert quote["channelBizId"] == channel and quote["currency"] == "USD"
        assert (quote["amount"], quote["fee"], quote["actualAmount"]) == (
            "200.00",
            "2.50",
            "197.50",
        )
        assert TIMESTAMP.match(quote["expiresAt"])
        # the percentage is rounded up to the cent: 1% of 10.01 is 0.1001 -> 0.11
        odd = assert_ok(
            await money.alice.post("/recharges/quote", {"channelBizId": channel, "amount": 10.01})
        )
        assert (odd["amount"], odd["fee"], odd["actualAmount"]) == ("10.01", "0.61", "9.40")

    async def test_stablecoin_has_six_decimals(self, money: Money) -> None:
        channel = await add_channel(money, currency="USDT", fee_bps=10)
        quote = assert_ok(
            await money.alice.post(
                "/recharges/quote", {"channelBizId": channel, "amount": "1.234567"}
            )
        )
        assert (quote["amount"], quote["fee"], quote["actualAmount"]) == (
            "1.234567",
            "0.001235",
            "1.233332",
        )
        assert quote["currency"] == "USDT"

    async def test_unknown_foreign_or_disabled_channel_is_not_found(self, money: Money) -> None:
        other = await create_institution(money.session)
        foreign = await create_recharge_channel(money.session, institution_id=other.institution_id)
        disabled = await create_recharge_channel(
            money.session, institution_id=money.institution.institution_id
        )
        disabled.enabled = False
        await money.session.commit()
        for channel in ("nope", foreign.biz_id, disabled.biz_id, "x" * 64):
            for path in ("/recharges/quote", "/recharges"):
                response = await money.alice.post(path, {"channelBizId": channel, "amount": "10"})
                assert_error(response, 404, NOT_FOUND)
        assert await count_recharges(money) == 0
        assert assert_ok(await money.alice.get("/wallets")) == []

    async def test_amount_outside_the_limits(self, money: Money) -> None:
        channel = await add_channel(money, min_amount="10", max_amount="1000")
        for amount in ("9.99", "1000.01", "999999999999"):
            for path in ("/recharges/quote", "/recharges"):
                response = await money.alice.post(path, {"channelBizId": channel, "amount": amount})
                assert_error(response, 400, OUT_OF_RANGE)
        for amount in ("10", "1000.00"):
            quote = assert_ok(
                await money.alice.post(
                    "/recharges/quote", {"channelBizId": channel, "amount": amount}
                )
            )
            assert quote["actualAmount"] == quote["amount"]
        # a fee eating the whole amount leaves nothing to credit
        fixed = await add_channel(money, fixed_fee="5", min_amount="1")
        for path in ("/recharges/quote", "/recharges"):
            response = await money.alice.post(path, {"channelBizId": fixed, "amount": 5})
            assert_error(response, 400, OUT_OF_RANGE)
        quote = assert_ok(
            await money.alice.post("/recharges/quote", {"channelBizId": fixed, "amount": "5.01"})
        )
        assert (quote["fee"], quote["actualAmount"]) == ("5.00", "0.01")
        assert await count_recharges(money) == 0
        # nothing refused left a wallet behind
        assert assert_ok(await money.alice.get("/wallets")) == []

    async def test_bad_amounts(self, money: Money) -> None:
        channel = await add_channel(money, max_amount=None)
        usdt = await add_channel(money, currency="USDT", max_amount=None)
        bad: list[tuple[str, Any]] = [
            (channel, amount)
            for amount in (
                0,
                "0",
                "0.00",
                -1,
                "-5",
                "1.001",
                0.001,
                "1e3",
                "1E3",
                "NaN",
                "Infinity",
                True,
                False,
                "1000000000000000",
                1000000000000000,
                "1000000000000",
                "",
                " ",
                "1,00",
                "abc",
                None,
                [],
                {},
            )
        ]
        bad.append((usdt, "1.0000001"))
        for channel_id, amount in bad:
            for path in ("/recharges/quote", "/recharges"):
                response = await money.alice.post(
                    path, {"channelBizId": channel_id, "amount": amount}
                )
                assert_error(response, 400, INVALID)
        # JSON number literals that are not exact decimals (regression: `1e3` was read as the
        # float 1000.0 and accepted)
        for literal in ("NaN", "Infinity", "-Infinity", "-1", "1e-7", "1e3", "1E2", "1.5e+2"):
            for path in ("/recharges/quote", "/recharges"):
                response = await post_raw(
                    money.alice, path, f'{{"channelBizId":"{channel}","amount":{literal}}}'
                )
                assert_error(response, 400, INVALID)
        assert await count_recharges(money) == 0
        assert assert_ok(await money.alice.get("/wallets")) == []

    async def test_bad_bodies(self, money: Money) -> None:
        channel = await add_channel(money)
        for body in (
            None,
            {},
            {"amount": "10"},
            {"channelBizId": channel},
            {"channelBizId": 5, "amount": "10"},
            {"channelBizId": "", "amount": "10"},
            {"channelBizId": "x" * 65, "amount": "10"},
            [],
        ):
            assert_error(await money.alice.post("/recharges/quote", body), 400, INVALID)
            assert_error(await money.alice.post("/recharges", body), 400, INVALID)
        assert await count_recharges(money) == 0


# --- create, read, proof, cancel --------------------------------------------------------------


class TestCreate:
    async def test_pending_and_the_wallet_is_made_on_first_use(self, money: Money) -> None:
        channel = await add_channel(money, fee_bps=100, fixed_fee="0.50")
        assert assert_ok(await money.alice.get("/wallets")) == []
        recharge = await create(money.alice, channel, "200", remark="first")
        assert list(recharge) == RECHARGE_FIELDS
        assert recharge["rechargeStatus"] == PENDING
        assert recharge["workspaceBizId"] == money.alice.workspace.biz_id
        assert recharge["channelBizId"] == channel and recharge["currency"] == "USD"
        assert (recharge["amount"], recharge["fee"], recharge["actualAmount"]) == (
            "200.00",
            "2.50",
            "197.50",
        )
        assert recharge["remark"] == "first"
        assert recharge["proofFileBizId"] is None and recharge["completedAt"] is None
        assert recharge["cancelReason"] is None and recharge["rejectReason"] is None
        assert TIMESTAMP.match(recharge["createdAt"]) and TIMESTAMP.match(recharge["updatedAt"])

        wallets = assert_ok(await money.alice.get("/wallets"))
        assert [(w["bizId"], w["currency"]) for w in wallets] == [(recharge["walletBizId"], "USD")]
        wallet_balance = await balance(money.alice, recharge["walletBizId"])
        assert list(wallet_balance) == BALANCE_FIELDS
        assert (
            wallet_balance["availableBalance"],
            wallet_balance["frozenBalance"],
            wallet_balance["totalBalance"],
        ) == ("0.00", "0.00", "0.00")
        # a second recharge goes to the same wallet; nothing is posted before approval
        again = await create(money.alice, channel, 50)
        assert again["walletBizId"] == recharge["walletBizId"]
        assert again["amount"] == "50.00" and again["bizId"] != recharge["bizId"]
        assert len(assert_ok(await money.alice.get("/wallets"))) == 1
        assert await legs(money, recharge["bizId"]) == []

    async def test_stablecoin_recharge(self, money: Money) -> None:
        channel = await add_channel(money, currency="USDT")
        recharge = await create(money.alice, channel, "2.5")
        assert recharge["currency"] == "USDT"
        assert (recharge["amount"], recharge["fee"], recharge["actualAmount"]) == (
            "2.500000",
            "0.000000",
            "2.500000",
        )
        await approve(money, recharge["bizId"])
        assert await available(money.alice, recharge["walletBizId"]) == "2.500000"

    async def test_into_a_named_wallet_or_currency(self, money: Money) -> None:
        channel = await add_channel(money)
        usd = await money.fund(money.alice, "USD", "1")
        eur = await money.fund(money.alice, "EUR", "1")
        bobs = await money.fund(money.bob, "USD", "1")
        named = await create(money.alice, channel, "10", walletBizId=usd, currency="usd")
        assert named["walletBizId"] == usd
        mismatched = [
            {"walletBizId": eur},
            {"currency": "EUR"},
            {"walletBizId": usd, "currency": "EUR"},
        ]
        for extra in mismatched:
            response = await money.alice.post(
                "/recharges", {"channelBizId": channel, "amount": "10", **extra}
            )
            assert_error(response, 400, "WALLET.CURRENCY_MISMATCH")
        for wallet in (bobs, "nope"):
            response = await money.alice.post(
                "/recharges", {"channelBizId": channel, "amount": "10", "walletBizId": wallet}
            )
            assert_error(response, 404, NOT_FOUND)
        assert await count_recharges(money) == 1

    async def test_another_workspace_recharge_is_not_found(self, money: Money) -> None:
        channel = await add_channel(money)
        recharge = await create(money.alice, channel, "10")
        biz_id = recharge["bizId"]
        assert assert_ok(await money.alice.get(f"/recharges/{biz_id}")) == recharge
        assert_error(await money.bob.get(f"/recharges/{biz_id}"), 404, NOT_FOUND)
        assert_error(
            await money.bob.post(f"/recharges/{biz_id}/proof", {"fileBizId": "f1"}), 404, NOT_FOUND
        )
        assert_error(await money.bob.post(f"/recharges/{biz_id}/cancel", {}), 404, NOT_FOUND)
        for unknown in ("nope", "x" * 100):
            assert_error(await money.alice.get(f"/recharges/{unknown}"), 404, NOT_FOUND)
            assert_error(await money.alice.post(f"/recharges/{unknown}/cancel"), 404, NOT_FOUND)
        page = assert_ok(await money.bob.get("/recharges"))
        assert page["items"] == []
        assert await status_of(money.alice, biz_id) == "PENDING"


class TestProofAndCancel:
    async def test_proof_puts_it_under_review(self, money: Money) -> None:
        channel = await add_channel(money)
        recharge = await create(money.alice, channel, "10")
        biz_id = recharge["bizId"]
        first, second = await proof(money), await proof(money)
        reviewed = assert_ok(
            await money.alice.post(f"/recharges/{biz_id}/proof", {"fileBizId": first})
        )
        assert list(reviewed) == RECHARGE_FIELDS
        assert reviewed["rechargeStatus"] == UNDER_REVIEW
        assert reviewed["proofFileBizId"] == first
        # a better proof may replace the first one while under review
        again = assert_ok(
            await money.alice.post(f"/recharges/{biz_id}/proof", {"fileBizId": second})
        )
        assert again["proofFileBizId"] == second
        assert again["rechargeStatus"] == UNDER_REVIEW
        for body in ({}, {"fileBizId": ""}, {"fileBizId": 7}, {"fileBizId": "f" * 65}):
            assert_error(await money.alice.post(f"/recharges/{biz_id}/proof", body), 400, INVALID)
        assert assert_ok(await money.alice.get(f"/recharges/{biz_id}")) == again

    async def test_the_proof_must_be_a_proof_file_of_the_workspace(self, money: Money) -> None:
        channel = await add_channel(money)
        biz_id = (await create(money.alice, channel, "10"))["bizId"]
        attachment = await create_file(
            money.session, workspace=money.alice.workspace, purpose=FilePurpose.ATTACHMENT
        )
        await money.session.commit()
        path = f"/recharges/{biz_id}/proof"
        for unknown in ("non-existent-file-id", await proof(money, money.bob)):
            assert_error(await money.alice.post(path, {"fileBizId": unknown}), 404, NOT_FOUND)
        assert_error(await money.alice.post(path, {"fileBizId": attachment.biz_id}), 400, INVALID)
        assert await status_of(money.alice, biz_id) == "PENDING"

    async def test_cancel_while_pending(self, money: Money) -> None:
        channel = await add_channel(money)
        first = await create(money.alice, channel, "10")
        cancelled = assert_ok(
            await money.alice.post(
                f"/recharges/{first['bizId']}/cancel", {"cancelReason": "paid twice"}
            )
        )
        assert list(cancelled) == RECHARGE_FIELDS
        assert cancelled["rechargeStatus"] == CANCELLED
        assert cancelled["cancelReason"] == "paid twice"
        # the body is optional
        second = await create(money.alice, channel, "10")
        plain = assert_ok(await money.alice.post(f"/recharges/{second['bizId']}/cancel"))
        assert plain["rechargeStatus"] == CANCELLED and plain["cancelReason"] is None
        # and a cancelled recharge stays cancelled
        path = f"/recharges/{first['bizId']}"
        assert_error(await money.alice.post(f"{path}/cancel", {}), 400, INVALID_STATE)
        assert_error(
            await money.alice.post(f"{path}/proof", {"fileBizId": await proof(money)}),
            400,
            INVALID_STATE,
        )
        with pytest.raises(InvalidOrderState):
            await approve(money, first["bizId"])
        with pytest.raises(InvalidOrderState):
            await reject(money, first["bizId"])
        assert assert_ok(await money.alice.get(path)) == cancelled
        assert await available(money.alice, first["walletBizId"]) == "0.00"

    async def test_no_cancel_once_under_review(self, money: Money) -> None:
        channel = await add_channel(money)
        biz_id = (await create(money.alice, channel, "10"))["bizId"]
        assert_ok(
            await money.alice.post(f"/recharges/{biz_id}/proof", {"fileBizId": await proof(money)})
        )
        response = await money.alice.post(f"/recharges/{biz_id}/cancel", {"cancelReason": "x"})
        assert_error(response, 400, INVALID_STATE)
        recharge = assert_ok(await money.alice.get(f"/recharges/{biz_id}"))
        assert recharge["rechargeStatus"] == UNDER_REVIEW and recharge["cancelReason"] is None

    async def test_no_cancel_or_proof_once_approved(self, money: Money) -> None:
        channel = await add_channel(money)
        recharge = await create(money.alice, channel, "10")
        biz_id = recharge["bizId"]
        await approve(money, biz_id)
        assert_error(await money.alice.post(f"/recharges/{biz_id}/cancel"), 400, INVALID_STATE)
        response = await money.alice.post(
            f"/recharges/{biz_id}/proof", {"fileBizId": await proof(money)}
        )
        assert_error(response, 400, INVALID_STATE)
        assert await status_of(money.alice, biz_id) == "COMPLETED"
        assert await available(money.alice, recharge["walletBizId"]) == "10.00"


# --- the issuer -------------------------------------------------------------------------------


class TestApprove:
    async def test_credits_the_actual_amount_and_the_fee_goes_to_fees(self, money: Money) -> None:
        channel = await add_channel(money, fee_bps=100, fixed_fee="0.50")
        recharge = await create(money.alice, channel, "200")
        biz_id, wallet = recharge["bizId"], recharge["walletBizId"]
        assert_ok(
            await money.alice.post(f"/recharges/{biz_id}/proof", {"fileBizId": await proof(money)})
        )
        await approve(money, biz_id)

        done = assert_ok(await money.alice.get(f"/recharges/{biz_id}"))
        assert done["rechargeStatus"] == COMPLETED
        assert TIMESTAMP.match(done["completedAt"])
        assert (done["amount"], done["fee"], done["actualAmount"]) == ("200.00", "2.50", "197.50")
        wallet_balance = await balance(money.alice, wallet)
        assert (
            wallet_balance["availableBalance"],
            wallet_balance["frozenBalance"],
            wallet_balance["totalBalance"],
        ) == ("197.50", "0.00", "197.50")
        flows = assert_ok(await money.alice.get(f"/wallets/{wallet}/flows"))
        assert list(flows["pagination"]) == PAGINATION_FIELDS
        assert flows["pagination"]["totalRecords"] == 1
        [flow] = flows["items"]
        assert list(flow) == FLOW_FIELDS
        assert flow["direction"]["code"] == "IN" and flow["bizType"]["code"] == "RECHARGE"
        assert flow["bizOrderId"] == biz_id and flow["walletBizId"] == wallet
        assert (flow["amount"], flow["balanceBefore"], flow["balanceAfter"]) == (
            "197.50",
            "0.00",
            "197.50",
        )
        assert flow["currency"] == "USD"
        # settlement paid in the whole amount; the wallet got the rest of the fee
        assert await legs(money, biz_id) == [
            ("SETTLEMENT", -20000),
            ("WALLET", 19750),
            ("FEES", 250),
        ]

    async def test_straight_from_pending_without_fee(self, money: Money) -> None:
        channel = await add_channel(money)
        recharge = await create(money.alice, channel, "10.05")
        await approve(money, recharge["bizId"])
        assert await status_of(money.alice, recharge["bizId"]) == "COMPLETED"
        assert await available(money.alice, recharge["walletBizId"]) == "10.05"
        assert await legs(money, recharge["bizId"]) == [("SETTLEMENT", -1005), ("WALLET", 1005)]

    async def test_adds_to_an_existing_balance(self, money: Money) -> None:
        channel = await add_channel(money)
        wallet = await money.fund(money.alice, "USD", "5")
        recharge = await create(money.alice, channel, "10")
        assert recharge["walletBizId"] == wallet
        await approve(money, recharge["bizId"])
        assert await available(money.alice, wallet) == "15.00"
        flow = assert_ok(await money.alice.get(f"/wallets/{wallet}/flows"))["items"][0]
        assert (flow["balanceBefore"], flow["balanceAfter"]) == ("5.00", "15.00")

    async def test_double_approve_is_refused_and_credits_once(self, money: Money) -> None:
        channel = await add_channel(money, fee_bps=50)
        recharge = await create(money.alice, channel, "100")
        await approve(money, recharge["bizId"])
        with pytest.raises(InvalidOrderState):
            await approve(money, recharge["bizId"])
        assert await available(money.alice, recharge["walletBizId"]) == "99.50"
        assert len(await legs(money, recharge["bizId"])) == 3
        with pytest.raises(InvalidOrderState):
            await reject(money, recharge["bizId"], "too late")
        done = assert_ok(await money.alice.get(f"/recharges/{recharge['bizId']}"))
        assert done["rechargeStatus"] == COMPLETED and done["rejectReason"] is None

    async def test_reject_then_approve_is_refused(self, money: Money) -> None:
        channel = await add_channel(money)
        recharge = await create(money.alice, channel, "100")
        biz_id = recharge["bizId"]
        assert_ok(
            await money.alice.post(f"/recharges/{biz_id}/proof", {"fileBizId": await proof(money)})
        )
        await reject(money, biz_id, "no payment received")
        rejected = assert_ok(await money.alice.get(f"/recharges/{biz_id}"))
        assert rejected["rechargeStatus"] == REJECTED
        assert rejected["rejectReason"] == "no payment received"
        assert rejected["completedAt"] is None
        with pytest.raises(InvalidOrderState):
            await approve(money, biz_id)
        with pytest.raises(InvalidOrderState):
            await reject(money, biz_id)
        assert_error(await money.alice.post(f"/recharges/{biz_id}/cancel"), 400, INVALID_STATE)
        assert await status_of(money.alice, biz_id) == "REJECTED"
        assert await available(money.alice, recharge["walletBizId"]) == "0.00"
        assert await legs(money, biz_id) == []
        # straight from PENDING, without a reason
        pending = (await create(money.alice, channel, "100"))["bizId"]
        await reject(money, pending)
        rejected = assert_ok(await money.alice.get(f"/recharges/{pending}"))
        assert rejected["rechargeStatus"] == REJECTED and rejected["rejectReason"] is None


class TestCommandLine:
    async def test_approve_then_a_second_approve_exits_non_zero(
        self,
        money: Money,
        portico_command: Callable[..., Awaitable[int]],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        channel = await add_channel(money, fee_bps=100)
        recharge = await create(money.alice, channel, "50")
        biz_id, wallet = recharge["bizId"], recharge["walletBizId"]

        assert await portico_command("recharge", "approve", biz_id) == 0
        out = capsys.readouterr().out
        assert f"recharge {biz_id} COMPLETED: wallet {wallet} credited" in out
        assert await status_of(money.alice, biz_id) == "COMPLETED"
        assert await available(money.alice, wallet) == "49.50"

        assert await portico_command("recharge", "approve", biz_id) == 1
        assert f"refused: {INVALID_STATE}" in capsys.readouterr().err
        assert await portico_command("recharge", "reject", biz_id, "--reason", "late") == 1
        assert f"refused: {INVALID_STATE}" in capsys.readouterr().err
        assert await available(money.alice, wallet) == "49.50"
        assert len(await legs(money, biz_id)) == 3

        assert await portico_command("ledger", "verify") == 0
        assert "ledger verified" in capsys.readouterr().out

    async def test_reject_and_unknown_recharge(
        self,
        money: Money,
        portico_command: Callable[..., Awaitable[int]],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        channel = await add_channel(money)
        recharge = await create(money.alice, channel, "50")
        biz_id = recharge["bizId"]
        assert await portico_command("recharge", "reject", biz_id, "--reason", "no funds") == 0
        assert f"recharge {biz_id} REJECTED" in capsys.readouterr().out
        rejected = assert_ok(await money.alice.get(f"/recharges/{biz_id}"))
        assert rejected["rechargeStatus"] == REJECTED and rejected["rejectReason"] == "no funds"
        assert await portico_command("recharge", "approve", biz_id) == 1
        assert f"refused: {INVALID_STATE}" in capsys.readouterr().err
        assert await portico_command("recharge", "approve", "nope") == 1
        assert f"refused: {NOT_FOUND}" in capsys.readouterr().err
        assert await available(money.alice, recharge["walletBizId"]) == "0.00"


# --- lists --------------------------------------------------------------------------------------


class TestList:
    async def test_newest_first_paged_and_filtered_by_status(self, money: Money) -> None:
        empty = assert_ok(await money.alice.get("/recharges"))
        assert empty == EMPTY_PAGE
        channel = await add_channel(money)
        first = (await create(money.alice, channel, "1"))["bizId"]
        second = (await create(money.alice, channel, "2"))["bizId"]
        third = (await create(money.alice, channel, "3"))["bizId"]
        fourth = (await create(money.alice, channel, "4"))["bizId"]
        assert_ok(await money.alice.post(f"/recharges/{second}/cancel"))
        assert_ok(
            await money.alice.post(f"/recharges/{third}/proof", {"fileBizId": await proof(money)})
        )
        await approve(money, fourth)
        await create(money.bob, channel, "9")

        page = assert_ok(await money.alice.get("/recharges"))
        assert list(page) == ["items", "pagination"]
        assert [r["bizId"] for r in page["items"]] == [fourth, third, second, first]
        assert all(list(r) == RECHARGE_FIELDS for r in page["items"])
        assert [r["amount"] for r in page["items"]] == ["4.00", "3.00", "2.00", "1.00"]
        assert page["pagination"] == {
            "totalPages": 1,
            "totalRecords": 4,
            "currentPage": 1,
            "pageSize": 20,
            "hasNext": False,
            "empty": False,
            "paginated": True,
        }
        for status, expected in (
            ("PENDING", [first]),
            ("CANCELLED", [second]),
            ("UNDER_REVIEW", [third]),
            ("COMPLETED", [fourth]),
            ("REJECTED", []),
        ):
            filtered = assert_ok(await money.alice.get("/recharges", status=status))
            assert [r["bizId"] for r in filtered["items"]] == expected, status
            assert filtered["pagination"]["totalRecords"] == len(expected)
            assert filtered["pagination"]["empty"] is (not expected)
            assert all(r["rechargeStatus"]["code"] == status for r in filtered["items"])

        two = assert_ok(await money.alice.get("/recharges", pageSize=2, page=2))
        assert [r["bizId"] for r in two["items"]] == [second, first]
        assert two["pagination"] == {
            "totalPages": 2,
            "totalRecords": 4,
            "currentPage": 2,
            "pageSize": 2,
            "hasNext": False,
            "empty": False,
            "paginated": True,
        }
        assert assert_ok(await money.alice.get("/recharges", size=3))["pagination"]["hasNext"]
        for params in ({"status": "BOGUS"}, {"status": "pending"}, {"page": 0}, {"pageSize": 101}):
            assert_error(await money.alice.get("/recharges", **params), 400, INVALID)


# --- idempotency --------------------------------------------------------------------------------


class TestIdempotency:
    async def test_replay_returns_the_same_recharge(self, money: Money) -> None:
        channel = await add_channel(money)
        body = {"channelBizId": channel, "amount": "25", "remark": "once"}
        headers = {"Idempotency-Key": "rc-0001"}
        first = await money.alice.post("/recharges", body, headers=headers)
        created = assert_ok(first, "2001", 201)
        replay = await money.alice.post("/recharges", body, headers=headers)
        assert assert_ok(replay, "2001", 201) == created
        assert replay.headers.get("Idempotent-Replayed") == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert await count_recharges(money) == 1
        # the key is Alice's: Bob's request with the same key is his own
        bobs = assert_ok(await money.bob.post("/recharges", body, headers=headers), "2001", 201)
        assert bobs["bizId"] != created["bizId"]
        assert await count_recharges(money) == 2

    async def test_same_key_other_body_conflicts(self, money: Money) -> None:
        channel = await add_channel(money)
        headers = {"Idempotency-Key": "rc-0002"}
        body = {"channelBizId": channel, "amount": "25"}
        created = assert_ok(
            await money.alice.post("/recharges", body, headers=headers), "2001", 201
        )
        for other in ({**body, "amount": "26"}, {**body, "remark": "changed"}):
            response = await money.alice.post("/recharges", other, headers=headers)
            assert_error(response, 409, "REQUEST.IDEMPOTENCY_CONFLICT")
        assert await count_recharges(money) == 1
        assert assert_ok(await money.alice.get(f"/recharges/{created['bizId']}")) == created

    async def test_a_refused_attempt_does_not_burn_the_key(self, money: Money) -> None:
        channel = await add_channel(money, min_amount="10")
        for key in ("", " ", "k" * 201, "tab\tkey"):
            response = await money.alice.post(
                "/recharges",
                {"channelBizId": channel, "amount": "50"},
                headers={"Idempotency-Key": key},
            )
            assert_error(response, 400, INVALID)
        headers = {"Idempotency-Key": "rc-0003"}
        refused = await money.alice.post(
            "/recharges", {"channelBizId": channel, "amount": "5"}, headers=headers
        )
        assert_error(refused, 400, OUT_OF_RANGE)
        body = {"channelBizId": channel, "amount": "50"}
        created = assert_ok(
            await money.alice.post("/recharges", body, headers=headers), "2001", 201
        )
        assert created["amount"] == "50.00"
        assert await count_recharges(money) == 1
