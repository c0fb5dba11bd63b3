"""The issuer's partner decisions: `portico partner approve|reject EMAIL`."""

from __future__ import annotations

import asyncio

import click

from portico.cli.common import echo_or_refuse

EMAIL = click.argument("email")
INSTITUTION = click.option("--institution", help="bizId, issuerId or portal access code.")


def _decide(decision: str, email: str, institution: str | None, reason: str | None) -> None:
    from portico.backoffice import decide_partner
    from portico.config import get_settings

    echo_or_refuse(
        lambda: asyncio.run(
            decide_partner(
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
