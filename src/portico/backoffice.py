"""The issuer's back-office actions, as run by the `portico` CLI (and, later, the issuer API):
approve or reject recharges, complete or reject withdrawals, set FX rates and recharge
channels, verify the ledger, seed the demo institution's money, approve or reject partners."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.config import Settings
from portico.db import Database, create_engine, run_after_commit
from portico.enums import ChannelType
from portico.exchanges import service as exchange_service
from portico.exchanges.models import FxRate
from portico.institutions.models import Institution, PortalAccessCode
from portico.ledger import service as ledger
from portico.mail.sender import Mailer
from portico.money import enabled_currencies
from portico.partners import service as partner_service
from portico.recharges import service as recharge_service
from portico.recharges.models import RechargeChannel
from portico.withdrawals import service as withdrawal_service

T = TypeVar("T")

# Demo mid rates: units of each currency per US dollar.
DEMO_USD_RATES: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "CNY": Decimal("7.20"),
    "JPY": Decimal("150"),
    "HKD": Decimal("7.80"),
    "SGD": Decimal("1.35"),
    "AUD": Decimal("1.52"),
    "CAD": Decimal("1.36"),
    "CHF": Decimal("0.88"),
    "USDT": Decimal("1"),
    "USDC": Decimal("1"),
}
DEMO_SPREAD_BPS = 50
DEMO_FEE_BPS = 10


async def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction of its own (committed on success)."""
    database = Database(create_engine(settings.resolved_database_url, null_pool=True))
    try:
        async with database.sessionmaker() as session, session.begin():
            return await work(session)
    finally:
        await database.dispose()


async def institution_by_code_or_id(session: AsyncSession, ref: str | None) -> Institution:
    """An institution by bizId, issuerId or portal access code; the only one when `ref` is
    None."""
    if ref is None:
        rows = list((await session.execute(select(Institution).limit(2))).scalars())
        if len(rows) != 1:
            raise LookupError("several institutions (or none): name one with --institution")
        return rows[0]
    found = (
        await session.execute(
            select(Institution).where((Institution.biz_id == ref) | (Institution.issuer_id == ref))
        )
    ).scalar_one_or_none()
    if found is None:
        found = (
            await session.execute(
                select(Institution)
                .join(PortalAccessCode, PortalAccessCode.institution_id == Institution.id)
                .where(PortalAccessCode.code == ref)
            )
        ).scalar_one_or_none()
    if found is None:
        raise LookupError(f"no institution {ref}")
    return found


async def approve_recharge(session: AsyncSession, recharge_biz_id: str) -> str:
    recharge = await recharge_service.find_for_issuer(session, recharge_biz_id=recharge_biz_id)
    await recharge_service.approve(session, recharge=recharge)
    return f"recharge {recharge.biz_id} COMPLETED: wallet {recharge.wallet_biz_id} credited"


async def reject_recharge(session: AsyncSession, recharge_biz_id: str, reason: str | None) -> str:
    recharge = await recharge_service.find_for_issuer(session, recharge_biz_id=recharge_biz_id)
    await recharge_service.reject(session, recharge=recharge, reason=reason and reason[:500])
    return f"recharge {recharge.biz_id} REJECTED"


async def complete_withdrawal(session: AsyncSession, withdrawal_biz_id: str) -> str:
    withdrawal = await withdrawal_service.find_for_issuer(
        session, withdrawal_biz_id=withdrawal_biz_id
    )
    await withdrawal_service.complete(session, withdrawal=withdrawal)
    return f"withdrawal {withdrawal.biz_id} COMPLETED: paid out"


async def reject_withdrawal(
    session: AsyncSession, withdrawal_biz_id: str, reason: str | None
) -> str:
    withdrawal = await withdrawal_service.find_for_issuer(
        session, withdrawal_biz_id=withdrawal_biz_id
    )
    await withdrawal_service.reject(session, withdrawal=withdrawal, reason=reason and reason[:500])
    return f"withdrawal {withdrawal.biz_id} REJECTED: funds released"


async def seed_demo_money(session: AsyncSession, institution_id: int) -> list[str]:
    """A recharge channel for every enabled currency and FX rates between them (idempotent)."""
    lines = []
    currencies = await enabled_currencies(session)
    have_channels = set(
        (
            await session.execute(
                select(RechargeChannel.currency).where(
                    RechargeChannel.institution_id == institution_id
                )
            )
        ).scalars()
    )
    for currency in currencies:
        if currency.code in have_channels:
            continue
        crypto = currency.kind == "STABLECOIN"
        await recharge_service.add_channel(
            session,
            institution_id=institution_id,
            currency=currency.code,
            scale=currency.scale,
            name=f"{currency.code} on-chain deposit"
            if crypto
            else f"{currency.code} bank transfer",
            channel_type=ChannelType.CRYPTO if crypto else ChannelType.BANK_TRANSFER,
            instructions=(
                f"Send {currency.code} (TRC20) to TDemoPorticoDepositAddress0000000"
                if crypto
                else f"Pay {currency.code} to Portico Demo Bank, account 00012345678, "
                "quoting the recharge id"
            ),
        )
    have_rates = set(
        await session.execute(
            select(FxRate.base_currency, FxRate.quote_currency).where(
                FxRate.institution_id == institution_id
            )
        )
    )
    rated = [c.code for c in currencies if c.code in DEMO_USD_RATES]
    added = 0
    for base in rated:
        for quote in rated:
            if base == quote or (base, quote) in have_rates:
                continue
            rate = (DEMO_USD_RATES[quote] / DEMO_USD_RATES[base]).quantize(Decimal("1e-10"))
            await exchange_service.set_rate(
                session,
                institution_id=institution_id,
                base=base,
                quote=quote,
                rate=rate,
                spread_bps=DEMO_SPREAD_BPS,
                fee_bps=DEMO_FEE_BPS,
            )
            added += 1
    channels = len(await recharge_service.list_channels(session, institution_id=institution_id))
    rates = len(have_rates) + added
    lines.append(
        f"money             {len(currencies)} currencies, {channels} recharge channels, "
        f"{rates} FX rates"
    )
    return lines


async def verify_ledger(session: AsyncSession) -> list[str]:
    return await ledger.verify(session)


async def decide_partner(
    settings: Settings,
    *,
    decision: str,
    email: str,
    institution: str | None = None,
    reason: str | None = None,
) -> str:
    """Approve or reject a partner (`portico partner approve|reject`): the decision in one
    transaction, then the partner's mail (waited for). Returns the line to print."""
    mailer = Mailer(settings)
    database = Database(create_engine(settings.resolved_database_url, null_pool=True))
    try:
        async with database.sessionmaker() as session:
            async with session.begin():
                found = await institution_by_code_or_id(session, institution)
                partner = await partner_service.find_partner(
                    session, institution_id=found.id, email=email
                )
                if partner is None:
                    raise LookupError(f"no partner account {email} in {found.name}")
                if decision == "approve":
                    await partner_service.approve_partner(session, mailer, partner=partner)
                else:
                    await partner_service.reject_partner(
                        session, mailer, partner=partner, reason=reason
                    )
            await run_after_commit(session)
        await mailer.drain()
        done = "approved" if decision == "approve" else "rejected"
        return f"partner {partner.email} ({partner.biz_id}) {done}; the partner was mailed"
    finally:
        await database.dispose()
