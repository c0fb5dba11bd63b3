"""The issuer's partner decisions: `portico partner approve|reject EMAIL`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from portico.cli.common import echo_or_refuse

if TYPE_CHECKING:
    from portico.config import Settings

EMAIL = click.argument("email")
INSTITUTION = click.option("--institution", help="bizId, issuerId or portal access code.")


async def decide_from_cli(
    settings: Settings,
    *,
    decision: str,
    email: str,
    institution: str | None = None,
    reason: str | None = None,
) -> str:
    """`portico partner approve|reject EMAIL`: the decision (`issuer.partners.decide`) in one
    transaction, then the partner's mail (waited for). Returns the line to print."""
    from portico.db import command_database
    from portico.institutions import service as institution_service
    from portico.issuer import audit
    from portico.issuer.partners import decide
    from portico.mail.sender import Mailer
    from portico.partners import service as partner_service

    mailer = Mailer(settings)
    async with (
        command_database(settings.resolved_database_url) as database,
        database.transaction() as session,
    ):
        found = await institution_service.resolve_institution(session, institution)
        partner = await partner_service.find_partner(session, institution_id=found.id, email=email)
        if partner is None:
            raise LookupError(f"no partner account {email} in {found.name}")
        await decide(
            session,
            mailer,
            partner=partner,
            approve=decision == "approve",
            reason=reason,
            actor=audit.cli_actor(),
        )
    await mailer.drain()
    done = "approved" if decision == "approve" else "rejected"
    return f"partner {partner.email} ({partner.biz_id}) {done}; the partner was mailed"


def _decide(decision: str, email: str, institution: str | None, reason: str | None) -> None:
    from portico.config import get_settings

    echo_or_refuse(
        lambda: asyncio.run(
            decide_from_cli(
                get_settings(),
                decision=decision,
                email=email,
                institution=institution,
                reason=reason,
            )
        )
    )


@click.group()
def partner() -> None:
    """Issuer: approve or reject partner accounts."""


@partner.command("approve")
@EMAIL
@INSTITUTION
def approve(email: str, institution: str | None) -> None:
    """Let a pending (or rejected) partner move money and hold API keys."""
    _decide("approve", email, institution, None)


@partner.command("reject")
@EMAIL
@INSTITUTION
@click.option("--reason", help="Told to the partner in the mail.")
def reject(email: str, institution: str | None, reason: str | None) -> None:
    """Refuse a pending partner: it can no longer sign in."""
    _decide("reject", email, institution, reason)


COMMANDS: tuple[click.Command, ...] = (partner,)
