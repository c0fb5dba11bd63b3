"""The demo institution, its two accounts and their money, as `portico demo` seeds them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.config import Settings
from portico.db import in_transaction
from portico.enums import AccountPortal, ChannelType
from portico.exchanges import service as exchange_service
from portico.exchanges.models import FxRate
from portico.flows import accounts as account_flows
from portico.institutions import service as institution_service
from portico.money import enabled_currencies
from portico.oauth import clients as oauth_clients
from portico.oauth.models import IssuerClient
from portico.recharges import service as recharge_service
from portico.recharges.models import RechargeChannel
from portico.referrals import service as referral_service
from portico.security.passwords import PasswordHasher
from portico.security.tokens import TokenService
from portico.tenancy import across_workspaces
from portico.wallets import service as wallet_service
from portico.workspaces.models import Workspace, WorkspaceMember

DEMO_PASSWORD = "DemoPass123!"  # noqa: S105 - documented demo credential
DEMO_INSTITUTION = "Portico Demo Bank"
DEMO_CODES = {
    AccountPortal.CONSUMER: "pac_demo_consumer",
    AccountPortal.PARTNER: "pac_demo_partner",
}
DEMO_REALM = "cdp"  # the onboarding document's realm
DEMO_ISSUER_CLIENT = ("ic_demo_back_office", "demo-issuer-secret")
DEMO_ACCOUNTS = {
    AccountPortal.CONSUMER: ("consumer@demo.portico", "Demo Consumer"),
    AccountPortal.PARTNER: ("partner@demo.portico", "Demo Partner"),
}
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
DEMO_REFERRAL_CODE = "DEMO2026"
DEMO_FEE_BPS = 10


async def seed_demo(settings: Settings) -> list[str]:
    """Create the demo institution and accounts if missing; returns lines to print."""

    async def seed(session: AsyncSession) -> list[str]:
        institution = await institution_service.institution_by_access_code(
            session, DEMO_CODES[AccountPortal.CONSUMER]
        )
        if institution is None:
            institution, _ = await institution_service.create_institution(
                session,
                name=DEMO_INSTITUTION,
                consumer_code=DEMO_CODES[AccountPortal.CONSUMER],
                partner_code=DEMO_CODES[AccountPortal.PARTNER],
                realm=DEMO_REALM,
            )
        hasher = PasswordHasher(settings)
        for portal, (email, name) in DEMO_ACCOUNTS.items():
            exists = (
                await session.execute(
                    select(Account.id).where(
                        Account.institution_id == institution.id,
                        Account.portal == portal,
                        Account.email == email,
                    )
                )
            ).first()
            if exists is None:
                await account_flows.create_account(
                    session,
                    institution_id=institution.id,
                    portal=portal,
                    email=email,
                    password_hash=await hasher.hash(DEMO_PASSWORD),
                    account_name=name,
                    pending_approval=False,
                    max_sessions=settings.max_sessions_default,
                )
        lines = await _seed_demo_money(session, institution.id)
        lines.append(await _seed_issuer_client(session, settings, institution.id))
        lines = [
            *lines,
            f"institution       {institution.name} (institutionBizId {institution.biz_id}, "
            f"issuerId {institution.issuer_id}, token realm {institution.realm})",
            f"consumer portal   X-PORTAL-ACCESS-CODE: {DEMO_CODES[AccountPortal.CONSUMER]}",
            f"partner portal    X-PORTAL-ACCESS-CODE: {DEMO_CODES[AccountPortal.PARTNER]}",
        ]
        for portal, (email, _) in DEMO_ACCOUNTS.items():
            lines.append(f"{portal.value.lower():<17} {email} / {DEMO_PASSWORD}")
        return lines

    return await in_transaction(settings.resolved_database_url, seed)


async def _seed_demo_money(session: AsyncSession, institution_id: int) -> list[str]:
    """Channels and FX rates, and 1,000.00 USD (an approved recharge) for each demo account
    that has no USD wallet yet; the lines printed are the same on every run."""
    lines = await seed_demo_money(session, institution_id)
    channel = next(
        c
        for c in await recharge_service.list_channels(session, institution_id=institution_id)
        if c.currency == "USD"
    )
    for portal, (email, _) in DEMO_ACCOUNTS.items():
        row = (
            await session.execute(
                across_workspaces(
                    select(Account, Workspace)
                    .join(WorkspaceMember, WorkspaceMember.account_id == Account.id)
                    .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
                    .where(
                        Account.institution_id == institution_id,
                        Account.portal == portal,
                        Account.email == email,
                        WorkspaceMember.is_owner.is_(True),
                    )
                    .order_by(Workspace.id)
                    .limit(1),
                    "the demo account's own workspace",
                )
            )
        ).first()
        if row is None:
            continue
        account, workspace = row
        if portal == AccountPortal.PARTNER:
            lines.append(await _seed_referral_code(session, workspace, account))
        wallet = await wallet_service.find_wallet(
            session, workspace_id=workspace.id, currency="USD"
        )
        if wallet is not None:
            lines.append(f"demo balance      {email}: USD wallet {wallet.biz_id}")
            continue
        recharge = await recharge_service.create_recharge(
            session,
            actor=account,
            workspace=workspace,
            channel_biz_id=channel.biz_id,
            amount=Decimal("1000"),
            remark="demo balance",
        )
        await recharge_service.approve(session, recharge=recharge)
        lines.append(f"demo balance      {email}: USD wallet {recharge.wallet_biz_id}")
    return lines


async def _seed_referral_code(session: AsyncSession, workspace: Workspace, account: Account) -> str:
    """The demo partner's referral code (the referrals page shows it)."""
    code = await referral_service.find_mine(session, workspace_id=workspace.id)
    if code is None:
        code = await referral_service.create_code(
            session,
            workspace=workspace,
            code=DEMO_REFERRAL_CODE,
            extra_data="demo referral code",
            actor=account.biz_id,
        )
    return f"referral code     {account.email}: {code.code}"


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


async def _seed_issuer_client(
    session: AsyncSession, settings: Settings, institution_id: int
) -> str:
    """An issuer API client with a documented secret (demo data only)."""
    client_id, secret = DEMO_ISSUER_CLIENT
    exists = (
        await session.execute(select(IssuerClient.id).where(IssuerClient.client_id == client_id))
    ).first()
    if exists is None:
        tokens = TokenService(
            settings.resolved_secret_key,
            issuer=settings.jwt_issuer,
            access_ttl_seconds=settings.access_token_ttl_seconds,
        )
        await oauth_clients.create_issuer_client(
            session,
            tokens,
            institution_id=institution_id,
            name="demo back office",
            client_id=client_id,
            secret=secret,
        )
    return f"issuer client     {client_id} / {secret}"
