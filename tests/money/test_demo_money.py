"""`portico demo` seeds the demo institution's money once: a recharge channel per currency, FX
rates between every pair, 1,000.00 USD for each demo account, the partner's referral code."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.exchanges.models import FxRate
from portico.institutions.models import Institution
from portico.ledger import service as ledger
from portico.ledger.models import LedgerEntry
from portico.money import Currency
from portico.recharges.models import Recharge, RechargeChannel
from portico.referrals.models import ReferralCode
from portico.wallets.models import Wallet
from portico.workspaces.models import Workspace, WorkspaceMember
from tests.support.cli import portico


@pytest.mark.usefixtures("cli_env")
async def test_demo_money_is_seeded_once(
    session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await portico("demo") == 0
    first = capsys.readouterr().out
    assert await portico("demo") == 0
    second = capsys.readouterr().out

    currencies = list(
        (
            await session.execute(
                select(Currency.code).where(Currency.enabled.is_(True)).order_by(Currency.code)
            )
        ).scalars()
    )
    assert len(currencies) == 12
    pairs = len(currencies) * (len(currencies) - 1)
    assert (
        f"{len(currencies)} currencies, {len(currencies)} recharge channels, {pairs} FX rates"
        in first
    )
    assert first == second  # the same report every time
    for email in ("consumer@demo.portico", "partner@demo.portico"):
        assert f"demo balance      {email}: USD wallet " in first
        assert f"{email} / DemoPass123!" in second
    # the demo partner's referral code, made once (the referrals page shows it)
    assert "referral code     partner@demo.portico: DEMO2026" in first
    codes = (await session.execute(select(ReferralCode.code))).scalars().all()
    assert codes == ["DEMO2026"]

    [institution_id] = (await session.execute(select(Institution.id))).scalars().all()
    channels = Counter(
        (
            await session.execute(
                select(RechargeChannel.currency).where(
                    RechargeChannel.institution_id == institution_id,
                    RechargeChannel.enabled.is_(True),
                )
            )
        ).scalars()
    )
    assert channels == Counter(currencies)  # one per enabled currency

    rates = (
        await session.execute(
            select(FxRate.base_currency, FxRate.quote_currency, FxRate.rate).where(
                FxRate.institution_id == institution_id
            )
        )
    ).all()
    assert len(rates) == pairs
    assert {(base, quote) for base, quote, _ in rates} == {
        (base, quote) for base in currencies for quote in currencies if base != quote
    }
    by_pair = {(base, quote): rate for base, quote, rate in rates}
    assert by_pair[("USD", "EUR")] == "0.9200000000"
    assert by_pair[("USDT", "USDC")] == "1.0000000000"

    # each demo account's own workspace holds 1000.00 USD, from one recharge
    rows = (
        await session.execute(
            select(Account.email, Wallet.currency, Wallet.available, Wallet.frozen)
            .join(WorkspaceMember, WorkspaceMember.account_id == Account.id)
            .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
            .join(Wallet, Wallet.workspace_id == Workspace.id)
            .where(WorkspaceMember.is_owner.is_(True))
            .order_by(Account.email)
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("consumer@demo.portico", "USD", 100000, 0),
        ("partner@demo.portico", "USD", 100000, 0),
    ]
    recharges = (
        await session.execute(select(Recharge.amount, Recharge.fee, Recharge.status))
    ).all()
    assert [tuple(r) for r in recharges] == [(100000, 0, "COMPLETED")] * 2
    credited = (
        await session.execute(
            select(func.sum(LedgerEntry.amount)).where(LedgerEntry.wallet_id.is_not(None))
        )
    ).scalar_one()
    assert credited == 200000

    assert await ledger.verify(session) == []
    await session.commit()
    assert await portico("ledger", "verify") == 0
    assert "ledger verified" in capsys.readouterr().out
