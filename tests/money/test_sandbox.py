"""Sandbox workspaces: test balances at creation, `POST /sandbox/reset` (consumer portal only),
and no way for test money to reach a LIVE wallet."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.enums import AccountPortal
from portico.ledger import service as ledger
from portico.ledger.models import LedgerEntry
from portico.ledger.service import FEES, FX, SANDBOX, SETTLEMENT
from portico.recharges import service as recharge_service
from portico.withdrawals import service as withdrawal_service
from portico.workspaces.models import Workspace
from tests.factories.accounts import create_account
from tests.factories.money import create_recharge_channel, set_rate
from tests.factories.workspaces import add_member
from tests.support.money import Money, User
from tests.support.portal import assert_error, assert_ok

# sandbox/service.py TEST_BALANCES, on the wire (USDT has 6 decimals).
TEST_BALANCES = {"USD": "10000.00", "EUR": "10000.00", "USDT": "10000.000000"}
ZERO = {"USD": "0.00", "EUR": "0.00", "USDT": "0.000000"}

# `/sandbox/reset` exists on the consumer portal only.
consumer_only = pytest.mark.parametrize("portal_kind", [AccountPortal.CONSUMER], ids=["consumer"])


def in_workspace(workspace_biz_id: str) -> dict[str, str]:
    return {"X-Workspace-Id": workspace_biz_id}


async def get_in(user: User, path: str, workspace_biz_id: str, **params: Any) -> httpx.Response:
    return await user.portal.get(
        path, token=user.token, params=params, headers=in_workspace(workspace_biz_id)
    )


async def create_sandbox(user: User, name: str = "Test") -> str:
    response = await user.post("/workspaces", {"workspaceName": name, "workspaceKind": "SANDBOX"})
    data = assert_ok(response, "2001", status=201)
    assert data["workspaceKind"]["code"] == "SANDBOX"
    return str(data["bizId"])


async def wallets_of(user: User, workspace_biz_id: str) -> dict[str, dict[str, Any]]:
    data = assert_ok(await get_in(user, "/wallets", workspace_biz_id))
    return {wallet["currency"]: wallet for wallet in data}


def balances(wallets: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    return {c: (w["availableBalance"], w["frozenBalance"]) for c, w in wallets.items()}


async def reset(user: User, workspace_biz_id: str) -> httpx.Response:
    return await user.post("/sandbox/reset", headers=in_workspace(workspace_biz_id))


async def transfer(user: User, workspace_biz_id: str, body: dict[str, Any]) -> httpx.Response:
    return await user.post(
        f"{user.transfers}/command/create", body, headers=in_workspace(workspace_biz_id)
    )


async def books_balance(session: AsyncSession) -> list[str]:
    """`ledger.verify` on fresh reads (the app wrote through its own sessions)."""
    await session.commit()
    session.expire_all()
    return await ledger.verify(session)


async def entry_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(LedgerEntry.id)))).scalar_one())


class TestCreate:
    async def test_sandbox_workspace_gets_the_test_balances(
        self, money: Money, session: AsyncSession
    ) -> None:
        sandbox = await create_sandbox(money.alice)
        wallets = await wallets_of(money.alice, sandbox)
        assert list(wallets) == ["USD", "EUR", "USDT"]
        assert balances(wallets) == {c: (amount, ZERO[c]) for c, amount in TEST_BALANCES.items()}
        for currency, wallet in wallets.items():
            assert wallet["workspaceBizId"] == sandbox
            assert wallet["totalBalance"] == TEST_BALANCES[currency]
            flows = assert_ok(
                await get_in(money.alice, f"/wallets/{wallet['bizId']}/flows", sandbox)
            )
            [flow] = flows["items"]
            assert flow["bizType"]["code"] == "ADJUSTMENT"
            assert flow["direction"]["code"] == "IN"
            assert (flow["amount"], flow["balanceBefore"], flow["balanceAfter"]) == (
                TEST_BALANCES[currency],
                ZERO[currency],
                TEST_BALANCES[currency],
            )
            assert flow["remark"] == "sandbox test balance"
        # the LIVE workspace (the default) is untouched
        assert assert_ok(await money.alice.get("/wallets")) == []
        assert await books_balance(session) == []

    async def test_live_workspace_gets_no_test_balances(self, money: Money) -> None:
        response = await money.alice.post("/workspaces", {"workspaceName": "Second live"})
        live = assert_ok(response, "2001", status=201)["bizId"]
        assert assert_ok(await get_in(money.alice, "/wallets", live)) == []


class TestReset:
    @pytest.mark.both_portals
    async def test_live_workspace_is_refused_and_nothing_changes(
        self, money: Money, session: AsyncSession
    ) -> None:
        """403 on the consumer portal; the route does not exist on the partner portal."""
        wallet = await money.fund(money.alice, "USD", "100")
        target = await money.fund(money.bob, "USD", "1")
        sent = await transfer(
            money.alice,
            money.alice.workspace.biz_id,
            {"fromWalletBizId": wallet, "toWalletBizId": target, "amount": "10"},
        )
        assert_ok(sent, "2001", status=201)
        entries = await entry_count(session)

        response = await reset(money.alice, money.alice.workspace.biz_id)
        if money.alice.portal.portal == AccountPortal.PARTNER:
            assert_error(response, 404, "RESOURCE.NOT_FOUND")
        else:
            assert_error(response, 403, "ACCESS.PERMISSION_DENIED")

        assert balances(await wallets_of(money.alice, money.alice.workspace.biz_id)) == {
            "USD": ("90.00", "0.00")
        }
        orders = assert_ok(await money.alice.get(f"{money.alice.transfers}/query/orders"))
        assert len(orders["items"]) == 1
        assert await entry_count(session) == entries
        assert await books_balance(session) == []

    @consumer_only
    async def test_reset_wipes_activity_and_reseeds(
        self, money: Money, session: AsyncSession
    ) -> None:
        alice, bob = money.alice, money.bob
        sandbox = await create_sandbox(alice)
        other = await create_sandbox(bob, "Bob test")
        wallets = await wallets_of(alice, sandbox)
        usd = wallets["USD"]["bizId"]
        payee = (await wallets_of(bob, other))["USD"]["bizId"]

        # activity: a transfer out to another sandbox, and a pending withdrawal
        sent = await transfer(
            alice, sandbox, {"fromWalletBizId": usd, "toWalletBizId": payee, "amount": "250.50"}
        )
        assert assert_ok(sent, "2001", status=201)["transferStatus"]["code"] == "COMPLETED"
        channel = assert_ok(
            await alice.post(
                "/withdrawal-channels",
                {
                    "channelType": "BANK_TRANSFER",
                    "channelName": "Test bank",
                    "currency": "USD",
                    "accountName": "Alice",
                    "accountNumber": "GB00123456781234",
                },
                headers=in_workspace(sandbox),
            ),
            "2001",
            status=201,
        )
        withdrawal = assert_ok(
            await alice.post(
                "/withdrawals",
                {"walletBizId": usd, "withdrawalChannelBizId": channel["bizId"], "amount": "100"},
                headers=in_workspace(sandbox),
            ),
            "2001",
            status=201,
        )
        assert withdrawal["withdrawalStatus"]["code"] == "PENDING"
        assert balances(await wallets_of(alice, sandbox))["USD"] == ("9649.50", "100.00")

        assert assert_ok(await reset(alice, sandbox), "2004") is None

        wallets = await wallets_of(alice, sandbox)
        assert balances(wallets) == {c: (amount, ZERO[c]) for c, amount in TEST_BALANCES.items()}
        for currency, wallet in wallets.items():
            flows = assert_ok(await get_in(alice, f"/wallets/{wallet['bizId']}/flows", sandbox))
            assert flows["pagination"]["totalRecords"] == 1
            [flow] = flows["items"]
            assert (flow["bizType"]["code"], flow["direction"]["code"]) == ("ADJUSTMENT", "IN")
            assert (flow["amount"], flow["balanceBefore"], flow["balanceAfter"]) == (
                TEST_BALANCES[currency],
                ZERO[currency],
                TEST_BALANCES[currency],
            )
            assert flow["remark"] == "sandbox test balance"
        assert wallets["USD"]["bizId"] == usd  # the same wallets, reseeded

        orders = assert_ok(await get_in(alice, "/transfer/query/orders", sandbox))
        assert orders["items"] == [] and orders["pagination"]["totalRecords"] == 0
        withdrawals = assert_ok(await get_in(alice, "/withdrawals", sandbox))
        assert withdrawals["items"] == [] and withdrawals["pagination"]["totalRecords"] == 0
        # the withdrawal channel is configuration, not activity: it stays
        channels = assert_ok(await get_in(alice, "/withdrawal-channels", sandbox))
        assert [c["bizId"] for c in channels] == [channel["bizId"]]

        # the other sandbox keeps what it received; the books still balance
        assert balances(await wallets_of(bob, other))["USD"] == ("10250.50", "0.00")
        assert await books_balance(session) == []

        # a second reset of an untouched sandbox changes nothing visible
        assert_ok(await reset(alice, sandbox), "2004")
        assert balances(await wallets_of(alice, sandbox)) == balances(wallets)
        assert await books_balance(session) == []

    @consumer_only
    async def test_reset_also_clears_transfers_received(
        self, money: Money, session: AsyncSession
    ) -> None:
        sandbox = await create_sandbox(money.alice)
        other = await create_sandbox(money.bob, "Bob test")
        usd = (await wallets_of(money.alice, sandbox))["USD"]["bizId"]
        source = (await wallets_of(money.bob, other))["USD"]["bizId"]
        sent = await transfer(
            money.bob, other, {"fromWalletBizId": source, "toWalletBizId": usd, "amount": "5"}
        )
        assert_ok(sent, "2001", status=201)

        assert_ok(await reset(money.alice, sandbox), "2004")

        assert balances(await wallets_of(money.alice, sandbox))["USD"] == ("10000.00", "0.00")
        assert await books_balance(session) == []
        orders = assert_ok(await get_in(money.alice, "/transfer/query/orders", sandbox))
        assert orders["items"] == []

    @consumer_only
    async def test_reset_leaves_the_payees_history_alone(self, money: Money) -> None:
        sandbox = await create_sandbox(money.alice)
        other = await create_sandbox(money.bob, "Bob test")
        usd = (await wallets_of(money.alice, sandbox))["USD"]["bizId"]
        payee = (await wallets_of(money.bob, other))["USD"]["bizId"]
        sent = await transfer(
            money.alice, sandbox, {"fromWalletBizId": usd, "toWalletBizId": payee, "amount": "5"}
        )
        order = assert_ok(sent, "2001", status=201)["bizId"]

        assert_ok(await reset(money.alice, sandbox), "2004")

        flows = assert_ok(await get_in(money.bob, f"/wallets/{payee}/flows", other))
        assert [f["bizOrderId"] for f in flows["items"]] == [order, None]
        assert_ok(await get_in(money.bob, f"/transfer/query/orders/{order}", other))

    @consumer_only
    async def test_member_without_wallet_write_cannot_reset(
        self, money: Money, session: AsyncSession
    ) -> None:
        sandbox = await create_sandbox(money.alice)
        usd = (await wallets_of(money.alice, sandbox))["USD"]["bizId"]
        payee = (await wallets_of(money.alice, await create_sandbox(money.alice, "Two")))["USD"]
        sent = await transfer(
            money.alice,
            sandbox,
            {"fromWalletBizId": usd, "toWalletBizId": payee["bizId"], "amount": "1"},
        )
        assert_ok(sent, "2001", status=201)

        carol = await create_account(
            session,
            institution_id=money.institution.institution_id,
            portal=money.alice.portal.portal,
            email="carol@example.com",
            name="Carol",
        )
        workspace = (
            await session.execute(select(Workspace).where(Workspace.biz_id == sandbox))
        ).scalar_one()
        await add_member(
            session,
            workspace=workspace,
            account=carol,
            permission_codes=["wallet:read", "transfer:read", "transfer:write"],
        )
        await session.commit()
        token = await money.alice.portal.token(carol)
        member = User(account=carol, workspace=workspace, token=token, portal=money.alice.portal)

        assert_error(await reset(member, sandbox), 403, "ACCESS.PERMISSION_DENIED")

        assert balances(await wallets_of(member, sandbox))["USD"] == ("9999.00", "0.00")
        orders = assert_ok(await get_in(money.alice, "/transfer/query/orders", sandbox))
        assert len(orders["items"]) == 1
        # the owner (who holds wallet:write) can
        assert_ok(await reset(money.alice, sandbox), "2004")
        assert balances(await wallets_of(member, sandbox))["USD"] == ("10000.00", "0.00")


class TestIsolation:
    async def test_sandbox_money_never_reaches_live(
        self, money: Money, session: AsyncSession
    ) -> None:
        sandbox = await create_sandbox(money.alice)
        usd = (await wallets_of(money.alice, sandbox))["USD"]["bizId"]
        live_bob = await money.fund(money.bob, "USD", "5")
        live_alice = await money.fund(money.alice, "USD", "20")

        # sandbox -> a LIVE wallet, by wallet or by the account's email: unknown payee
        to_wallet = {"fromWalletBizId": usd, "toWalletBizId": live_bob, "amount": "100"}
        assert_error(await transfer(money.alice, sandbox, to_wallet), 404, "RESOURCE.NOT_FOUND")
        own_live = {"fromWalletBizId": usd, "toWalletBizId": live_alice, "amount": "100"}
        assert_error(await transfer(money.alice, sandbox, own_live), 404, "RESOURCE.NOT_FOUND")
        by_email = {"fromWalletBizId": usd, "toAccountEmail": "bob@example.com", "amount": "1"}
        assert_error(await transfer(money.alice, sandbox, by_email), 404, "RESOURCE.NOT_FOUND")
        # and the other way: LIVE money into a sandbox wallet
        into = {"fromWalletBizId": live_alice, "toWalletBizId": usd, "amount": "1"}
        live = money.alice.workspace.biz_id
        assert_error(await transfer(money.alice, live, into), 404, "RESOURCE.NOT_FOUND")

        assert balances(await wallets_of(money.alice, sandbox))["USD"] == ("10000.00", "0.00")
        assert balances(await wallets_of(money.alice, live)) == {"USD": ("20.00", "0.00")}
        assert balances(await wallets_of(money.bob, money.bob.workspace.biz_id)) == {
            "USD": ("5.00", "0.00")
        }
        orders = assert_ok(
            await get_in(money.alice, f"{money.alice.transfers}/query/orders", sandbox)
        )
        assert orders["items"] == []
        assert await books_balance(session) == []

    async def test_sandbox_flows_stay_off_the_institutions_books(
        self, money: Money, session: AsyncSession
    ) -> None:
        """Recharges, withdrawals and exchanges of a SANDBOX workspace settle, pay fees and
        exchange against the SANDBOX account: the institution's settlement, fee and FX
        positions never hold test money."""
        institution_id = money.institution.institution_id
        channel = await create_recharge_channel(session, institution_id=institution_id, fee_bps=100)
        await set_rate(
            session, institution_id=institution_id, base="USD", quote="EUR", rate="0.9",
            fee_bps=50,
        )  # fmt: skip
        await session.commit()
        sandbox = await create_sandbox(money.alice)
        headers = in_workspace(sandbox)
        usd = (await wallets_of(money.alice, sandbox))["USD"]["bizId"]

        recharge = assert_ok(
            await money.alice.post(
                "/recharges", {"channelBizId": channel.biz_id, "amount": "200"}, headers=headers
            ),
            "2001",
            201,
        )
        bank = {
            "channelType": "BANK_TRANSFER",
            "channelName": "Test payouts",
            "currency": "USD",
            "accountName": "Alice Example",
            "accountNumber": "DE89370400440532013000",
        }
        payout = assert_ok(
            await money.alice.post("/withdrawal-channels", bank, headers=headers), "2001", 201
        )
        body = {"walletBizId": usd, "withdrawalChannelBizId": payout["bizId"], "amount": "30"}
        withdrawal = assert_ok(
            await money.alice.post("/withdrawals", body, headers=headers), "2001", 201
        )
        quote = assert_ok(
            await money.alice.post(
                "/exchanges/quote",
                {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "100"},
                headers=headers,
            )
        )
        assert_ok(
            await money.alice.post("/exchanges", {"quoteId": quote["quoteId"]}, headers=headers),
            "2001",
            201,
        )
        async with AsyncSession(session.bind, expire_on_commit=False) as issuer:
            found = await recharge_service.get_for_issuer(issuer, recharge_biz_id=recharge["bizId"])
            await recharge_service.approve(issuer, recharge=found)
            pending = await withdrawal_service.get_for_issuer(
                issuer, withdrawal_biz_id=withdrawal["bizId"]
            )
            await withdrawal_service.complete(issuer, withdrawal=pending)
            await issuer.commit()

        # USD: 10,000 + 198 (200 less the 1% fee) - 30 - 100 = 10,068; EUR: + 99.50 x 0.9
        wallets = balances(await wallets_of(money.alice, sandbox))
        assert wallets["USD"] == ("10068.00", "0.00")
        assert wallets["EUR"] == ("10089.55", "0.00")
        system = await session.execute(
            select(LedgerEntry.account, func.count(LedgerEntry.id))
            .where(LedgerEntry.account.in_([SETTLEMENT, FEES, FX, SANDBOX]))
            .group_by(LedgerEntry.account)
        )
        counts = dict(system.all())
        assert SANDBOX in counts
        assert {SETTLEMENT, FEES, FX}.isdisjoint(counts), counts
        assert await books_balance(session) == []
