"""The demo institution, its two accounts and their money, as `portico demo` seeds them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico import backoffice
from portico.accounts.models import Account
from portico.auth import service as auth_service
from portico.auth.passwords import PasswordHasher
from portico.config import Settings
from portico.enums import AccountPortal
from portico.institutions import service as institution_service
from portico.recharges import service as recharge_service
from portico.recharges.schemas import RechargeCreateIn
from portico.wallets import service as wallet_service
from portico.workspaces.models import Workspace, WorkspaceMember
from portico.workspaces.scope import across_workspaces

DEMO_PASSWORD = "DemoPass123!"  # noqa: S105 - documented demo credential
DEMO_INSTITUTION = "Portico Demo Bank"
DEMO_CODES = {
    AccountPortal.CONSUMER: "pac_demo_consumer",
    AccountPortal.PARTNER: "pac_demo_partner",
}
DEMO_ACCOUNTS = {
    AccountPortal.CONSUMER: ("consumer@demo.portico", "Demo Consumer"),
    AccountPortal.PARTNER: ("partner@demo.portico", "Demo Partner"),
}


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
                await auth_service.create_account(
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
        lines = [
            *lines,
            f"institution       {institution.name} (institutionBizId {institution.biz_id}, "
            f"issuerId {institution.issuer_id})",
            f"consumer portal   X-PORTAL-ACCESS-CODE: {DEMO_CODES[AccountPortal.CONSUMER]}",
            f"partner portal    X-PORTAL-ACCESS-CODE: {DEMO_CODES[AccountPortal.PARTNER]}",
        ]
        for portal, (email, _) in DEMO_ACCOUNTS.items():
            lines.append(f"{portal.value.lower():<17} {email} / {DEMO_PASSWORD}")
        return lines

    return await backoffice.in_transaction(settings, seed)


async def _seed_demo_money(session: AsyncSession, institution_id: int) -> list[str]:
    """Channels and FX rates, and 1,000.00 USD (an approved recharge) for each demo account
    that has no USD wallet yet; the lines printed are the same on every run."""
    lines = await backoffice.seed_demo_money(session, institution_id)
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
            body=RechargeCreateIn(
                channel_biz_id=channel.biz_id, amount=Decimal("1000"), remark="demo balance"
            ),
        )
        await recharge_service.approve(session, recharge=recharge)
        lines.append(f"demo balance      {email}: USD wallet {recharge.wallet_biz_id}")
    return lines
