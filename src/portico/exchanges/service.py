"""Currency exchange: the issuer's FX table, 30-second quotes, and executing a quote once."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation, localcontext

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import affected_rows, utcnow
from portico.enums import ExchangeStatus, FlowBizType
from portico.envelope import Pagination
from portico.errors import InvalidParameter, NotFound
from portico.exchanges.errors import QuoteExpired, QuoteUsed, RateUnavailable
from portico.exchanges.models import Exchange, ExchangeQuote, FxRate
from portico.ids import new_biz_id
from portico.ledger import service as ledger
from portico.ledger.service import FEES, FX, Leg, system_account
from portico.money import enabled_currency, to_minor
from portico.paging import PageParams, fetch_page
from portico.tenancy import MAX_BIZ_ID, get_in_workspace, scoped
from portico.wallets import service as wallet_service
from portico.wallets.errors import InsufficientBalance
from portico.wallets.models import Wallet
from portico.workspaces.models import Workspace

QUOTE_TTL = timedelta(seconds=30)
BPS = Decimal(10_000)


async def set_rate(
    session: AsyncSession,
    *,
    institution_id: int,
    base: str,
    quote: str,
    rate: Decimal,
    spread_bps: int = 0,
    fee_bps: int = 0,
) -> FxRate:
    """Set (or replace) the issuer's rate for a currency pair."""
    if (
        not rate.is_finite()
        or rate <= 0
        or not (0 <= spread_bps < 10_000 and 0 <= fee_bps < 10_000)
    ):
        raise InvalidParameter()
    base, quote = (
        (await enabled_currency(session, base)).code,
        (await enabled_currency(session, quote)).code,
    )
    if base == quote:
        raise InvalidParameter()
    found = (
        await session.execute(
            select(FxRate).where(
                FxRate.institution_id == institution_id,
                FxRate.base_currency == base,
                FxRate.quote_currency == quote,
            )
        )
    ).scalar_one_or_none()
    if found is None:
        found = FxRate(institution_id=institution_id, base_currency=base, quote_currency=quote)
        session.add(found)
    found.rate, found.spread_bps, found.fee_bps = format(rate, "f"), spread_bps, fee_bps
    found.updated_at = utcnow()
    await session.flush()
    return found


async def _rate(
    session: AsyncSession, *, institution_id: int, from_currency: str, to_currency: str
) -> tuple[Decimal, int, int]:
    """Mid rate from → to (a set pair, or the inverse of the opposite pair), spread, fee."""
    rows = await session.execute(
        select(FxRate).where(
            FxRate.institution_id == institution_id,
            FxRate.base_currency.in_((from_currency, to_currency)),
            FxRate.quote_currency.in_((from_currency, to_currency)),
        )
    )
    by_pair = {(r.base_currency, r.quote_currency): r for r in rows.scalars()}
    with localcontext() as ctx:
        ctx.prec = 40
        direct = by_pair.get((from_currency, to_currency))
        if direct is not None:
            return Decimal(direct.rate), direct.spread_bps, direct.fee_bps
        inverse = by_pair.get((to_currency, from_currency))
        if inverse is not None:
            return 1 / Decimal(inverse.rate), inverse.spread_bps, inverse.fee_bps
    raise RateUnavailable()


async def create_quote(
    session: AsyncSession,
    *,
    actor: Account,
    workspace: Workspace,
    from_currency: str,
    to_currency: str,
    amount: Decimal,
    side: str,
) -> ExchangeQuote:
    """Price an exchange at the current rate; the quote can be executed once for 30 s.

    SELL: `amount` of fromCurrency is given; the fee (fromCurrency) comes off it and the rest
    buys toCurrency, rounded down. BUY: `amount` of toCurrency is wanted; what it costs is
    rounded up and the fee added on top.
    """
    source = await enabled_currency(session, from_currency, field="fromCurrency")
    target = await enabled_currency(session, to_currency, field="toCurrency")
    if source.code == target.code:
        raise InvalidParameter("toCurrency")
    mid, spread_bps, fee_bps = await _rate(
        session,
        institution_id=workspace.institution_id,
        from_currency=source.code,
        to_currency=target.code,
    )
    with localcontext() as ctx:
        ctx.prec = 60
        rate = mid * (BPS - spread_bps) / BPS
        # minor units of `to` per minor unit of `from`
        minor_rate = rate * Decimal(10) ** (target.scale - source.scale)
        try:
            if side == "SELL":
                from_amount = to_minor(amount, source.scale)
                fee = int((from_amount * fee_bps / BPS).to_integral_value(ROUND_CEILING))
                to_amount = int(((from_amount - fee) * minor_rate).to_integral_value(ROUND_FLOOR))
            else:
                to_amount = to_minor(amount, target.scale)
                net = int((to_amount / minor_rate).to_integral_value(ROUND_CEILING))
                fee = int((net * fee_bps / BPS).to_integral_value(ROUND_CEILING))
                from_amount = net + fee
        except (InvalidOperation, ZeroDivisionError) as exc:
            raise InvalidParameter("amount") from exc
        rate_text = format(rate.quantize(Decimal("1e-10"), ROUND_FLOOR).normalize(), "f")
    if to_amount <= 0 or from_amount <= fee or from_amount >= 10**18 or to_amount >= 10**18:
        raise InvalidParameter("amount")
    now = utcnow()
    quote = ExchangeQuote(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        account_id=actor.id,
        from_currency=source.code,
        to_currency=target.code,
        side=side,
        from_amount=from_amount,
        to_amount=to_amount,
        fee=fee,
        rate=rate_text,
        expires_at=now + QUOTE_TTL,
        created_at=now,
    )
    session.add(quote)
    await session.flush()
    return quote


async def execute_quote(
    session: AsyncSession, *, actor: Account, workspace: Workspace, quote_biz_id: str
) -> Exchange:
    """Execute the caller's quote once, at its price, if it has not expired."""
    statement = select(ExchangeQuote).where(
        ExchangeQuote.biz_id == quote_biz_id[:MAX_BIZ_ID], ExchangeQuote.account_id == actor.id
    )
    quote = (
        await session.execute(scoped(statement, ExchangeQuote, workspace.id))
    ).scalar_one_or_none()
    if quote is None:
        raise NotFound()
    now = utcnow()
    if quote.used_at is not None:
        raise QuoteUsed()
    if quote.expires_at <= now:
        raise QuoteExpired()
    source = await wallet_service.find_wallet(
        session, workspace_id=workspace.id, currency=quote.from_currency
    )
    if source is None:
        raise InsufficientBalance()
    target = await wallet_service.wallet_for(
        session, workspace=workspace, currency=quote.to_currency
    )
    locked = await ledger.lock_wallets(session, (source.id, target.id))
    source, target = locked[source.id], locked[target.id]
    wallet_service.ensure_active(source, target)
    # Mark the quote used only if nobody else did meanwhile (the row lock settles a race).
    marked = await session.execute(
        scoped(
            update(ExchangeQuote).where(
                ExchangeQuote.id == quote.id, ExchangeQuote.used_at.is_(None)
            ),
            ExchangeQuote,
            workspace.id,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected_rows(marked) != 1:
        raise QuoteUsed()
    if source.available < quote.from_amount:
        raise InsufficientBalance()
    exchange = Exchange(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        workspace_biz_id=workspace.biz_id,
        quote_biz_id=quote.biz_id,
        account_biz_id=actor.biz_id,
        from_wallet_biz_id=source.biz_id,
        to_wallet_biz_id=target.biz_id,
        from_currency=quote.from_currency,
        to_currency=quote.to_currency,
        from_amount=quote.from_amount,
        to_amount=quote.to_amount,
        fee=quote.fee,
        rate=quote.rate,
        status=ExchangeStatus.COMPLETED,
        created_at=now,
        updated_at=now,
        completed_at=now,
    )
    session.add(exchange)
    fx, fees = system_account(FX, workspace.kind), system_account(FEES, workspace.kind)
    legs = [
        Leg(quote.from_currency, -quote.from_amount, FlowBizType.EXCHANGE, source),
        Leg(quote.from_currency, quote.from_amount - quote.fee, FlowBizType.EXCHANGE, account=fx),
        Leg(quote.to_currency, -quote.to_amount, FlowBizType.EXCHANGE, account=fx),
        Leg(quote.to_currency, quote.to_amount, FlowBizType.EXCHANGE, target),
    ]
    if quote.fee:
        legs.append(Leg(quote.from_currency, quote.fee, FlowBizType.FEE, account=fees))
    await ledger.post(
        session,
        institution_id=workspace.institution_id,
        posting_type="EXCHANGE",
        order_biz_id=exchange.biz_id,
        legs=legs,
    )
    return exchange


async def list_exchanges(
    session: AsyncSession, *, workspace_id: int, params: PageParams, wallet: Wallet | None = None
) -> tuple[list[Exchange], Pagination]:
    """The workspace's exchanges, newest first; with `wallet`, those from or to it."""
    statement = select(Exchange).order_by(Exchange.id.desc())
    if wallet is not None:
        statement = statement.where(
            or_(
                Exchange.from_wallet_biz_id == wallet.biz_id,
                Exchange.to_wallet_biz_id == wallet.biz_id,
            )
        )
    return await fetch_page(
        session, scoped(statement, Exchange, workspace_id), params, Exchange.created_at
    )


async def get_exchange(
    session: AsyncSession, *, workspace_id: int, exchange_biz_id: str
) -> Exchange:
    return await get_in_workspace(
        session, Exchange, workspace_id=workspace_id, biz_id=exchange_biz_id
    )
