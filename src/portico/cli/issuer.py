"""The issuer's back-office commands: institutions, recharges, withdrawals and FX rates.

Each runs one action of `portico.backoffice` in a transaction of its own through
`run_issuer_action`: the lines it returns are printed; a refusal exits 1. Imports happen when a
command runs (see `portico.cli.common`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import click

from portico.cli.common import run_issuer_action

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@click.command("create-institution")
@click.option("--name", required=True, help="The institution's name.")
@click.option("--consumer-code", help="Consumer portal access code (default: generated).")
@click.option("--partner-code", help="Partner portal access code (default: generated).")
def create_institution(name: str, consumer_code: str | None, partner_code: str | None) -> None:
    """Create an institution and its portal codes."""
    from portico.enums import AccountPortal
    from portico.institutions import service as institution_service

    async def work(session: AsyncSession) -> list[str]:
        institution, codes = await institution_service.create_institution(
            session, name=name, consumer_code=consumer_code, partner_code=partner_code
        )
        return [
            f"institutionBizId  {institution.biz_id}",
            f"issuerId          {institution.issuer_id}",
            f"consumer code     {codes[AccountPortal.CONSUMER]}",
            f"partner code      {codes[AccountPortal.PARTNER]}",
        ]

    run_issuer_action(work)


@click.group()
def recharge() -> None:
    """Issuer: approve or reject recharges."""


@recharge.command("approve")
@click.argument("biz_id")
def approve_recharge(biz_id: str) -> None:
    """Credit the wallet."""
    from portico import backoffice

    run_issuer_action(lambda session: backoffice.approve_recharge(session, biz_id))


@recharge.command("reject")
@click.argument("biz_id")
@click.option("--reason", help="Why (shown to the customer; 500 characters at most).")
def reject_recharge(biz_id: str, reason: str | None) -> None:
    """Refuse the recharge."""
    from portico import backoffice

    run_issuer_action(lambda session: backoffice.reject_recharge(session, biz_id, reason))


@click.group()
def withdrawal() -> None:
    """Issuer: complete or reject withdrawals."""


@withdrawal.command("complete")
@click.argument("biz_id")
def complete_withdrawal(biz_id: str) -> None:
    """Pay the frozen amount out."""
    from portico import backoffice

    run_issuer_action(lambda session: backoffice.complete_withdrawal(session, biz_id))


@withdrawal.command("reject")
@click.argument("biz_id")
@click.option("--reason", help="Why (shown to the customer; 500 characters at most).")
def reject_withdrawal(biz_id: str, reason: str | None) -> None:
    """Release the frozen amount."""
    from portico import backoffice

    run_issuer_action(lambda session: backoffice.reject_withdrawal(session, biz_id, reason))


@click.group()
def fx() -> None:
    """Issuer: FX rates."""


@fx.command("set")
@click.argument("base")
@click.argument("quote")
@click.argument("rate")
@click.option("--spread-bps", type=int, default=0, show_default=True, help="Spread on the mid.")
@click.option("--fee-bps", type=int, default=0, show_default=True, help="Fee on the amount.")
@click.option("--institution", help="bizId, issuerId or portal access code.")
def set_rate(
    base: str, quote: str, rate: str, spread_bps: int, fee_bps: int, institution: str | None
) -> None:
    """Set the mid rate BASE→QUOTE (units of QUOTE per unit of BASE)."""
    from portico import backoffice
    from portico.exchanges import service as exchange_service

    async def work(session: AsyncSession) -> list[str]:
        found = await backoffice.institution_by_code_or_id(session, institution)
        try:
            mid = Decimal(rate)
        except InvalidOperation as exc:
            raise LookupError(f"not a rate: {rate}") from exc
        await exchange_service.set_rate(
            session,
            institution_id=found.id,
            base=base,
            quote=quote,
            rate=mid,
            spread_bps=spread_bps,
            fee_bps=fee_bps,
        )
        return [f"{base.upper()}→{quote.upper()} {mid} set for {found.name}"]

    run_issuer_action(work)


COMMANDS: tuple[click.Command, ...] = (create_institution, recharge, withdrawal, fx)
