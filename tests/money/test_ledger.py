"""The double-entry ledger: `post()` refusals, `verify()` on good and tampered books, and the
`portico ledger verify` / `portico fx set` commands."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.enums import FlowBizType, JoinSource, WorkspaceKind
from portico.errors import InternalError
from portico.exchanges import service as exchange_service
from portico.exchanges.models import FxRate
from portico.flows import workspaces as workspace_flows
from portico.ledger import service as ledger
from portico.ledger.models import LedgerEntry, LedgerPosting
from portico.ledger.service import FEES, FROZEN, SETTLEMENT, Leg
from portico.recharges import service as recharge_service
from portico.sandbox import service as sandbox_service
from portico.transfers import service as transfer_service
from portico.wallets.errors import InsufficientBalance
from portico.wallets.models import Wallet
from portico.withdrawals import service as withdrawal_service
from portico.withdrawals.models import Withdrawal
from portico.workspaces.models import Workspace
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes
from tests.factories.money import (
    create_recharge_channel,
    create_withdrawal_channel,
    fund_wallet,
    set_rate,
)
from tests.factories.workspaces import owned_workspace
from tests.support.cli import portico


@dataclass
class Books:
    alice: Account
    bob: Account
    alice_workspace: Workspace
    bob_workspace: Workspace
    alice_usd: Wallet
    bob_usd: Wallet


async def counts(session: AsyncSession) -> tuple[int, int]:
    postings = (await session.execute(select(func.count(LedgerPosting.id)))).scalar_one()
    entries = (await session.execute(select(func.count(LedgerEntry.id)))).scalar_one()
    return int(postings), int(entries)


async def fresh_verify(session: AsyncSession) -> list[str]:
    """`verify` on what is committed (not on wallets cached in the session)."""
    await session.commit()
    session.expire_all()
    return await ledger.verify(session)


async def withdraw(session: AsyncSession, books: Books, channel: str, amount: str) -> Withdrawal:
    return await withdrawal_service.create_withdrawal(
        session,
        actor=books.alice,
        workspace=books.alice_workspace,
        wallet_biz_id=books.alice_usd.biz_id,
        withdrawal_channel_biz_id=channel,
        amount=Decimal(amount),
    )


@pytest.fixture
async def books(session: AsyncSession, institution: InstitutionCodes) -> Books:
    """A busy, committed ledger: a recharge with a fee, funding, an exchange, a transfer,
    withdrawals completed, cancelled and pending, and a sandbox workspace seeded and reset."""
    iid = institution.institution_id
    alice = await create_account(session, institution_id=iid)
    bob = await create_account(session, institution_id=iid, email="bob@example.com", name="Bob")
    alice_ws = await owned_workspace(session, owner=alice)
    bob_ws = await owned_workspace(session, owner=bob)

    channel = await create_recharge_channel(session, institution_id=iid, fee_bps=100)
    recharge = await recharge_service.create_recharge(
        session,
        actor=alice,
        workspace=alice_ws,
        channel_biz_id=channel.biz_id,
        amount=Decimal("500"),
    )
    await recharge_service.approve(session, recharge=recharge)  # 495.00 + 5.00 fee
    bob_usd = await fund_wallet(session, workspace=bob_ws, currency="USD", amount="50")

    await set_rate(session, institution_id=iid, rate="0.9", spread_bps=10, fee_bps=5)
    quote = await exchange_service.create_quote(
        session,
        actor=alice,
        workspace=alice_ws,
        from_currency="USD",
        to_currency="EUR",
        amount=Decimal("100"),
        side="SELL",
    )
    await exchange_service.execute_quote(
        session, actor=alice, workspace=alice_ws, quote_biz_id=quote.biz_id
    )
    alice_usd = recharge.wallet_biz_id
    await transfer_service.create_transfer(
        session,
        actor=alice,
        workspace=alice_ws,
        payment=transfer_service.Payment(
            from_wallet_biz_id=alice_usd,
            to_wallet_biz_id=bob_usd.biz_id,
            to_account_email=None,
            amount=Decimal("120.25"),
        ),
    )
    payout = (await create_withdrawal_channel(session, workspace=alice_ws)).biz_id
    wallet = (await session.execute(select(Wallet).where(Wallet.biz_id == alice_usd))).scalar_one()
    made = Books(alice, bob, alice_ws, bob_ws, wallet, bob_usd)
    done = await withdraw(session, made, payout, "30")
    await withdrawal_service.complete(session, withdrawal=done)
    undone = await withdraw(session, made, payout, "10")
    await withdrawal_service.cancel(session, withdrawal=undone)
    await withdraw(session, made, payout, "5")  # stays PENDING: 5.00 frozen

    sandbox = await workspace_flows.create_workspace(
        session,
        owner=alice,
        name="Test",
        kind=WorkspaceKind.SANDBOX,
        join_source=JoinSource.CREATION,
        is_default=False,
    )
    sandbox_usd = await fund_wallet(session, workspace=sandbox, currency="USD", amount="1")
    await sandbox_service.reset(session, workspace=sandbox)
    assert sandbox_usd.available == 1_000_000
    await session.commit()
    return made


class TestVerify:
    async def test_empty_ledger(self, session: AsyncSession) -> None:
        assert await counts(session) == (0, 0)
        assert await ledger.verify(session) == []

    async def test_busy_ledger(self, session: AsyncSession, books: Books) -> None:
        assert await fresh_verify(session) == []
        alice_usd = await session.get(Wallet, books.alice_usd.id)
        assert alice_usd is not None
        # 495.00 recharged - 100 exchanged - 120.25 sent - 30 paid out - 5 frozen
        assert (alice_usd.available, alice_usd.frozen) == (23975, 500)
        bob_usd = await session.get(Wallet, books.bob_usd.id)
        assert bob_usd is not None and (bob_usd.available, bob_usd.frozen) == (17025, 0)
        fees = (
            await session.execute(
                select(func.sum(LedgerEntry.amount)).where(
                    LedgerEntry.account == FEES, LedgerEntry.currency == "USD"
                )
            )
        ).scalar_one()
        assert fees == 500 + 5  # the recharge fee and the exchange fee (5 bps of 100.00)

    @pytest.mark.parametrize("column", ["available", "frozen"])
    async def test_reports_a_tampered_wallet_cache(
        self, session: AsyncSession, books: Books, column: str
    ) -> None:
        wallet = books.bob_usd
        before = {"available": 17025, "frozen": 0}[column]
        await session.execute(
            text(f"UPDATE wallets SET {column} = {column} + 1 WHERE id = :id"),  # noqa: S608
            {"id": wallet.id},
        )
        assert await fresh_verify(session) == [
            f"wallet {wallet.biz_id}: {column} {before + 1}, entries say {before}"
        ]

    async def test_reports_every_tampered_wallet(self, session: AsyncSession, books: Books) -> None:
        await session.execute(text("UPDATE wallets SET available = available + 1"))
        wallets = (await session.execute(select(Wallet.biz_id, Wallet.available))).all()
        assert len(wallets) >= 5
        problems = await fresh_verify(session)
        assert sorted(problems) == sorted(
            f"wallet {biz_id}: available {available}, entries say {available - 1}"
            for biz_id, available in wallets
        )

    async def test_reports_a_lone_unbalanced_entry(
        self, session: AsyncSession, books: Books, institution: InstitutionCodes
    ) -> None:
        posting = LedgerPosting(
            biz_id="tampered0000001",
            institution_id=institution.institution_id,
            posting_type="TAMPERED",
            order_biz_id=None,
        )
        session.add(posting)
        await session.flush()
        session.add(
            LedgerEntry(
                posting_id=posting.id,
                institution_id=institution.institution_id,
                currency="USD",
                account=SETTLEMENT,
                amount=7,
                biz_type=FlowBizType.ADJUSTMENT.value,
            )
        )
        posting_id = posting.id
        assert await fresh_verify(session) == [
            "USD: entries sum to 7, not 0",
            f"posting {posting_id}: USD entries do not balance",
        ]


class TestPost:
    @pytest.mark.parametrize(
        "legs",
        [
            pytest.param(
                lambda w: [
                    Leg("USD", -100, FlowBizType.ADJUSTMENT, w),
                    Leg("USD", 99, FlowBizType.ADJUSTMENT, account=SETTLEMENT),
                ],
                id="unbalanced",
            ),
            pytest.param(
                lambda w: [Leg("USD", -100, FlowBizType.ADJUSTMENT, w)],
                id="one-leg",
            ),
            pytest.param(
                lambda w: [
                    Leg("USD", -1, FlowBizType.ADJUSTMENT, w),
                    Leg("EUR", 1, FlowBizType.ADJUSTMENT, account=SETTLEMENT),
                ],
                id="balanced-across-currencies",
            ),
            pytest.param(
                lambda w: [
                    Leg("USD", -1, FlowBizType.ADJUSTMENT),
                    Leg("USD", 1, FlowBizType.ADJUSTMENT, account=SETTLEMENT),
                ],
                id="wallet-bucket-without-wallet",
            ),
            pytest.param(
                lambda w: [
                    Leg("EUR", -1, FlowBizType.ADJUSTMENT, w),
                    Leg("EUR", 1, FlowBizType.ADJUSTMENT, account=SETTLEMENT),
                ],
                id="wallet-in-another-currency",
            ),
        ],
    )
    async def test_refuses_malformed_legs_as_internal_error(
        self, session: AsyncSession, books: Books, legs: object
    ) -> None:
        before = await counts(session)
        wallet = (await ledger.lock_wallets(session, (books.alice_usd.id,)))[books.alice_usd.id]
        with pytest.raises(InternalError) as refused:
            await ledger.post(
                session,
                institution_id=books.alice_workspace.institution_id,
                posting_type="BROKEN",
                order_biz_id=None,
                legs=legs(wallet),  # type: ignore[operator]
            )
        assert (refused.value.code, refused.value.http_status) == ("SYSTEM.INTERNAL_ERROR", 500)
        assert wallet.available == 23975  # untouched, even in memory
        assert await counts(session) == before
        await session.rollback()
        assert await counts(session) == before
        assert await fresh_verify(session) == []

    @pytest.mark.parametrize("bucket", ["available", "frozen"])
    async def test_refuses_a_debit_below_zero(
        self, session: AsyncSession, books: Books, bucket: str
    ) -> None:
        before = await counts(session)
        wallet = (await ledger.lock_wallets(session, (books.alice_usd.id,)))[books.alice_usd.id]
        if bucket == "available":
            legs = [
                Leg("USD", -23976, FlowBizType.WITHDRAWAL, wallet),
                Leg("USD", 23976, FlowBizType.WITHDRAWAL, account=SETTLEMENT),
            ]
        else:
            legs = [
                Leg("USD", -501, FlowBizType.WITHDRAWAL, wallet, account=FROZEN),
                Leg("USD", 501, FlowBizType.WITHDRAWAL, wallet),
            ]
        with pytest.raises(InsufficientBalance) as refused:
            await ledger.post(
                session,
                institution_id=books.alice_workspace.institution_id,
                posting_type="OVERDRAFT",
                order_biz_id=None,
                legs=legs,
            )
        assert (refused.value.code, refused.value.http_status) == (
            "WALLET.INSUFFICIENT_BALANCE",
            400,
        )
        await session.rollback()  # what the request's unit of work does on the error
        assert await counts(session) == before
        assert await fresh_verify(session) == []
        stored = (
            await session.execute(
                select(Wallet.available, Wallet.frozen).where(Wallet.id == books.alice_usd.id)
            )
        ).one()
        assert tuple(stored) == (23975, 500)

    async def test_a_balanced_posting_updates_balances_and_entries(
        self, session: AsyncSession, books: Books
    ) -> None:
        ids = (books.alice_usd.id, books.bob_usd.id)
        locked = await ledger.lock_wallets(session, ids)
        alice, bob = locked[ids[0]], locked[ids[1]]
        posting_id = await ledger.post(
            session,
            institution_id=books.alice_workspace.institution_id,
            posting_type="TEST",
            order_biz_id="order-1",
            legs=[
                Leg("USD", -975, FlowBizType.TRANSFER_OUT, alice),
                Leg("USD", 975, FlowBizType.TRANSFER_IN, bob),
            ],
        )
        entries = (
            await session.execute(
                select(
                    LedgerEntry.wallet_id,
                    LedgerEntry.amount,
                    LedgerEntry.balance_before,
                    LedgerEntry.balance_after,
                    LedgerEntry.order_biz_id,
                )
                .where(LedgerEntry.posting_id == posting_id)
                .order_by(LedgerEntry.id)
            )
        ).all()
        assert [tuple(e) for e in entries] == [
            (alice.id, -975, 23975, 23000, "order-1"),
            (bob.id, 975, 17025, 18000, "order-1"),
        ]
        assert await fresh_verify(session) == []

    async def test_balances_past_32_bits_are_exact(
        self, session: AsyncSession, books: Books
    ) -> None:
        # 9,000,000.000001 USDT at scale 6 is 9,000,000,000,001 minor units
        big = 9 * 10**12 + 1
        source = await fund_wallet(
            session, workspace=books.alice_workspace, currency="USDT", amount="9000000.000001"
        )
        target = await fund_wallet(
            session, workspace=books.bob_workspace, currency="USDT", amount="0.000001"
        )
        locked = await ledger.lock_wallets(session, (source.id, target.id))
        await ledger.post(
            session,
            institution_id=books.alice_workspace.institution_id,
            posting_type="TEST",
            order_biz_id=None,
            legs=[
                Leg("USDT", -(big - 1), FlowBizType.TRANSFER_OUT, locked[source.id]),
                Leg("USDT", big - 1, FlowBizType.TRANSFER_IN, locked[target.id]),
            ],
        )
        assert (locked[source.id].available, locked[target.id].available) == (1, big)
        assert await fresh_verify(session) == []
        stored = await session.execute(
            select(Wallet.available)
            .where(Wallet.id.in_([source.id, target.id]))
            .order_by(Wallet.id)
        )
        assert sorted(stored.scalars()) == [1, big]


@pytest.mark.usefixtures("cli_env")
class TestCommandLine:
    async def test_ledger_verify_passes_on_good_books(
        self, books: Books, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert await portico("ledger", "verify") == 0
        out = capsys.readouterr().out
        assert "ledger verified: every currency sums to 0 and every balance matches" in out

    async def test_ledger_verify_passes_on_an_empty_ledger(self) -> None:
        assert await portico("ledger", "verify") == 0

    async def test_ledger_verify_fails_on_tampered_books(
        self, session: AsyncSession, books: Books, capsys: pytest.CaptureFixture[str]
    ) -> None:
        await session.execute(
            text("UPDATE wallets SET available = available + 1 WHERE id = :id"),
            {"id": books.bob_usd.id},
        )
        await session.commit()
        assert await portico("ledger", "verify") == 1
        captured = capsys.readouterr()
        assert f"wallet {books.bob_usd.biz_id}: available 17026, entries say 17025" in captured.err
        assert "ledger verified" not in captured.out

    async def test_fx_set(
        self,
        session: AsyncSession,
        institution: InstitutionCodes,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        code = institution.consumer
        argv = ["fx", "set", "USD", "EUR", "0.9", "--spread-bps", "10", "--fee-bps", "5"]
        assert await portico(*argv, "--institution", code) == 0
        assert "USD→EUR 0.9 set for " in capsys.readouterr().out
        rate = select(
            FxRate.institution_id,
            FxRate.base_currency,
            FxRate.quote_currency,
            FxRate.rate,
            FxRate.spread_bps,
            FxRate.fee_bps,
        )
        rows = (await session.execute(rate)).all()
        assert [tuple(r) for r in rows] == [
            (institution.institution_id, "USD", "EUR", "0.9", 10, 5)
        ]
        await session.commit()

        # again, lower case and by bizId: the one rate is replaced
        assert (
            await portico("fx", "set", "usd", "eur", "0.95", "--institution", institution.biz_id)
            == 0
        )
        rows = (await session.execute(rate)).all()
        assert [tuple(r) for r in rows] == [
            (institution.institution_id, "USD", "EUR", "0.95", 0, 0)
        ]

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["USD", "EUR", "abc"], "not a rate: abc"),
            (["USD", "EUR", "0"], "refused: VALIDATION.INVALID_PARAMETER"),
            (["USD", "EUR", "NaN"], "refused: VALIDATION.INVALID_PARAMETER"),
            (["USD", "USD", "1"], "refused: VALIDATION.INVALID_PARAMETER"),
            (["USD", "XYZ", "1"], "refused: VALIDATION.INVALID_PARAMETER"),
            (["USD", "EUR", "0.9", "--spread-bps", "10000"], "refused: VALIDATION"),
        ],
    )
    async def test_fx_set_refuses_a_bad_rate(
        self,
        session: AsyncSession,
        institution: InstitutionCodes,
        capsys: pytest.CaptureFixture[str],
        args: list[str],
        message: str,
    ) -> None:
        code = await portico("fx", "set", *args, "--institution", institution.consumer)
        assert code == 1
        assert message in capsys.readouterr().err
        assert (await session.execute(select(func.count(FxRate.id)))).scalar_one() == 0

    async def test_fx_set_needs_a_known_institution(
        self, institution: InstitutionCodes, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert await portico("fx", "set", "USD", "EUR", "0.9", "--institution", "nope") == 1
        assert "no institution nope" in capsys.readouterr().err
