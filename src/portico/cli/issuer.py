"""The issuer's back-office commands: institutions, issuer clients, recharges, withdrawals,
FX rates and the operations log (partner decisions: `portico.cli.partner`).

Each runs the same service function as the issuer API (`portico.issuer.service`, with the
operator as the audit log's actor) in a transaction of its own through `run_issuer_action`: the
lines it returns are printed; a refusal exits 1. Imports happen when a command runs (see
`portico.cli.common`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import click

from portico.cli.common import run_issuer_action

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

INSTITUTION_HELP = "bizId, issuerId or portal access code (default: the only institution)."


@click.command("create-institution")
@click.option("--name", required=True, help="The institution's name.")
@click.option("--consumer-code", help="Consumer portal access code (default: generated).")
@click.option("--partner-code", help="Partner portal access code (default: generated).")
@click.option("--realm", help="Token endpoint realm, e.g. cdp (default: the issuerId).")
def create_institution(
    name: str, consumer_code: str | None, partner_code: str | None, realm: str | None
) -> None:
    """Create an institution and its portal codes."""
    from portico.enums import AccountPortal
    from portico.institutions import service as institution_service

    async def work(session: AsyncSession) -> list[str]:
        institution, codes = await institution_service.create_institution(
            session,
            name=name,
            consumer_code=consumer_code,
            partner_code=partner_code,
            realm=realm,
        )
        return [
            f"institutionBizId  {institution.biz_id}",
            f"issuerId          {institution.issuer_id}",
            f"token realm       {institution.realm}",
            f"consumer code     {codes[AccountPortal.CONSUMER]}",
            f"partner code      {codes[AccountPortal.PARTNER]}",
        ]

    run_issuer_action(work)


@click.group()
def issuer() -> None:
    """Issuer API clients and the consumer operations log."""


@issuer.command("create-client")
@click.option("--name", required=True, help="What the client is (shown in list-clients).")
@click.option("--institution", help=INSTITUTION_HELP)
@click.option("--scope", "scopes", multiple=True, help="A scope to grant (repeat; default: all).")
def create_client(name: str, institution: str | None, scopes: tuple[str, ...]) -> None:
    """Create an issuer API client; its secret is printed this once."""
    from portico.config import get_settings
    from portico.institutions import service as institution_service
    from portico.oauth import clients
    from portico.security.tokens import TokenService

    async def work(session: AsyncSession) -> list[str]:
        found = await institution_service.resolve_institution(session, institution)
        settings = get_settings()
        tokens = TokenService(
            settings.resolved_secret_key,
            issuer=settings.jwt_issuer,
            access_ttl_seconds=settings.access_token_ttl_seconds,
        )
        client, secret = await clients.create_issuer_client(
            session, tokens, institution_id=found.id, name=name, scopes=list(scopes) or None
        )
        return [
            f"client_id         {client.client_id}",
            f"client_secret     {secret}   (shown once: store it now)",
            f"scopes            {' '.join(client.scopes)}",
            f"token endpoint    /auth/realms/{found.realm}/protocol/openid-connect/token",
        ]

    run_issuer_action(work)


@issuer.command("list-clients")
@click.option("--institution", help=INSTITUTION_HELP)
def list_clients(institution: str | None) -> None:
    """The institution's issuer clients (never their secrets)."""
    from portico.institutions import service as institution_service
    from portico.oauth import clients

    async def work(session: AsyncSession) -> list[str]:
        found = await institution_service.resolve_institution(session, institution)
        rows = await clients.list_issuer_clients(session, institution_id=found.id)
        return [
            f"{c.client_id}  {c.status:<8} {c.name}  last used {c.last_used_at or 'never'}"
            for c in rows
        ] or ["no issuer clients"]

    run_issuer_action(work)


@issuer.command("revoke-client")
@click.argument("client_id")
def revoke_client(client_id: str) -> None:
    """Revoke a client: its refresh tokens at once, its access tokens on their next use."""
    from portico.oauth import clients

    async def work(session: AsyncSession) -> str:
        client = await clients.revoke_issuer_client(session, client_id=client_id)
        return f"issuer client {client.client_id} REVOKED"

    run_issuer_action(work)


@issuer.command("purge-operations")
@click.option("--retention-days", type=int, default=None, help="Default: 92 (3 months).")
def purge_operations(retention_days: int | None) -> None:
    """Delete consumer operations older than the retention (3 months)."""
    from portico.config import get_settings
    from portico.issuer import operations

    days = retention_days or get_settings().issuer_operation_retention_days

    async def work(session: AsyncSession) -> str:
        deleted = await operations.purge_operations(session, retention_days=days)
        return f"deleted {deleted} operation(s) older than {days} days"

    run_issuer_action(work)


@issuer.command("flag-customer")
@click.argument("consumer_id")
@click.option(
    "--status",
    type=click.Choice(["UNDER_INVESTIGATION", "BLOCKED"]),
    required=True,
    help="The flag the onboarding API answers.",
)
@click.option("--reason", help="Why (kept with the flag; 500 characters at most).")
@click.option("--institution", help=INSTITUTION_HELP)
def flag_customer(
    consumer_id: str, status: str, reason: str | None, institution: str | None
) -> None:
    """Flag an onboarded customer UNDER_INVESTIGATION or BLOCKED."""
    from portico.institutions import service as institution_service
    from portico.issuer.audit import cli_actor
    from portico.onboarding import service
    from portico.onboarding.models import ComplianceStatus

    async def work(session: AsyncSession) -> str:
        found = await institution_service.resolve_institution(session, institution)
        _, account = await service.set_compliance(
            session,
            institution_id=found.id,
            consumer_id=consumer_id,
            status=ComplianceStatus(status),
            reason=(reason or "").strip()[:500] or None,
            actor=cli_actor(),
        )
        return f"customer {account.biz_id} {status}"

    run_issuer_action(work)


@issuer.command("clear-customer")
@click.argument("consumer_id")
@click.option("--institution", help=INSTITUTION_HELP)
def clear_customer(consumer_id: str, institution: str | None) -> None:
    """Clear an onboarded customer's compliance flag."""
    from portico.institutions import service as institution_service
    from portico.issuer.audit import cli_actor
    from portico.onboarding import service
    from portico.onboarding.models import ComplianceStatus

    async def work(session: AsyncSession) -> str:
        found = await institution_service.resolve_institution(session, institution)
        _, account = await service.set_compliance(
            session,
            institution_id=found.id,
            consumer_id=consumer_id,
            status=ComplianceStatus.NONE,
            reason=None,
            actor=cli_actor(),
        )
        return f"customer {account.biz_id} cleared"

    run_issuer_action(work)


@issuer.command("set-id-types")
@click.argument("id_types", nargs=-1)
@click.option("--institution", help=INSTITUTION_HELP)
def set_id_types(id_types: tuple[str, ...], institution: str | None) -> None:
    """Set the ID document types partners may onboard with (none: the default list)."""
    import re

    from portico.institutions import service as institution_service
    from portico.onboarding import masterdata

    async def work(session: AsyncSession) -> str:
        found = await institution_service.resolve_institution(session, institution)
        chosen = list(dict.fromkeys(t.strip().upper() for t in id_types))
        if any(not re.fullmatch(r"[A-Z][A-Z0-9_]{1,39}", t) for t in chosen):
            raise LookupError("an ID type is 2-40 of A-Z, 0-9 and _, starting with a letter")
        found.id_types = chosen or None
        await session.flush()
        return f"ID types of {found.name}: {', '.join(masterdata.id_types(found.id_types))}"

    run_issuer_action(work)


@click.group()
def recharge() -> None:
    """Issuer: approve or reject recharges."""


@recharge.command("approve")
@click.argument("biz_id")
def approve_recharge(biz_id: str) -> None:
    """Credit the wallet."""
    from portico.issuer import service
    from portico.issuer.audit import cli_actor

    async def work(session: AsyncSession) -> str:
        row = await service.approve_recharge(session, recharge_biz_id=biz_id, actor=cli_actor())
        return f"recharge {row.biz_id} COMPLETED: wallet {row.wallet_biz_id} credited"

    run_issuer_action(work)


@recharge.command("reject")
@click.argument("biz_id")
@click.option("--reason", help="Why (shown to the customer; 500 characters at most).")
def reject_recharge(biz_id: str, reason: str | None) -> None:
    """Refuse the recharge."""
    from portico.issuer import service
    from portico.issuer.audit import cli_actor

    async def work(session: AsyncSession) -> str:
        row = await service.reject_recharge(
            session, recharge_biz_id=biz_id, reason=reason, actor=cli_actor()
        )
        return f"recharge {row.biz_id} REJECTED"

    run_issuer_action(work)


@click.group()
def withdrawal() -> None:
    """Issuer: complete or reject withdrawals."""


@withdrawal.command("complete")
@click.argument("biz_id")
def complete_withdrawal(biz_id: str) -> None:
    """Pay the frozen amount out."""
    from portico.issuer import service
    from portico.issuer.audit import cli_actor

    async def work(session: AsyncSession) -> str:
        row = await service.complete_withdrawal(
            session, withdrawal_biz_id=biz_id, actor=cli_actor()
        )
        return f"withdrawal {row.biz_id} COMPLETED: paid out"

    run_issuer_action(work)


@withdrawal.command("reject")
@click.argument("biz_id")
@click.option("--reason", help="Why (shown to the customer; 500 characters at most).")
def reject_withdrawal(biz_id: str, reason: str | None) -> None:
    """Release the frozen amount."""
    from portico.issuer import service
    from portico.issuer.audit import cli_actor

    async def work(session: AsyncSession) -> str:
        row = await service.reject_withdrawal(
            session, withdrawal_biz_id=biz_id, reason=reason, actor=cli_actor()
        )
        return f"withdrawal {row.biz_id} REJECTED: funds released"

    run_issuer_action(work)


@click.group()
def fx() -> None:
    """Issuer: FX rates."""


@fx.command("set")
@click.argument("base")
@click.argument("quote")
@click.argument("rate")
@click.option("--spread-bps", type=int, default=0, show_default=True, help="Spread on the mid.")
@click.option("--fee-bps", type=int, default=0, show_default=True, help="Fee on the amount.")
@click.option("--institution", help=INSTITUTION_HELP)
def set_rate(
    base: str, quote: str, rate: str, spread_bps: int, fee_bps: int, institution: str | None
) -> None:
    """Set the mid rate BASE→QUOTE (units of QUOTE per unit of BASE)."""
    from portico.institutions import service as institution_service
    from portico.issuer import service
    from portico.issuer.audit import cli_actor

    async def work(session: AsyncSession) -> list[str]:
        found = await institution_service.resolve_institution(session, institution)
        try:
            mid = Decimal(rate)
        except InvalidOperation as exc:
            raise LookupError(f"not a rate: {rate}") from exc
        await service.set_rate(
            session,
            institution_id=found.id,
            base=base,
            quote=quote,
            rate=mid,
            spread_bps=spread_bps,
            fee_bps=fee_bps,
            actor=cli_actor(),
        )
        return [f"{base.upper()}→{quote.upper()} {mid} set for {found.name}"]

    run_issuer_action(work)


COMMANDS: tuple[click.Command, ...] = (
    create_institution,
    issuer,
    recharge,
    withdrawal,
    fx,
)
