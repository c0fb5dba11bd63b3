"""Operator commands: check the ledger, purge idempotency records, rotate the secure-channel
key."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from portico.cli.common import run_issuer_action, with_database

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from portico.config import Settings
    from portico.db import Database


@click.group()
def ledger() -> None:
    """The double-entry ledger."""


@ledger.command("verify")
def verify_ledger() -> None:
    """Recompute every balance from the entries; non-zero exit on a difference."""
    from portico import backoffice

    async def work(session: AsyncSession) -> list[str]:
        problems = await backoffice.verify_ledger(session)
        if problems:
            raise LookupError("\n".join(problems))
        return ["ledger verified: every currency sums to 0 and every balance matches"]

    run_issuer_action(work)


@click.group()
def idempotency() -> None:
    """Idempotency-Key records."""


@idempotency.command("purge")
def purge_idempotency() -> None:
    """Delete the records past their 7-day retention."""
    from portico.config import get_settings
    from portico.idempotency import service as idempotency_service

    deleted = asyncio.run(with_database(get_settings(), idempotency_service.purge_expired))
    click.echo(f"deleted {deleted} expired key(s)")


@click.group("secure-channel")
def secure_channel() -> None:
    """Secure channel keys."""


@secure_channel.command("rotate-key")
@click.option(
    "--grace-seconds",
    type=int,
    default=None,
    help="How long the old key stays valid (default: PORTICO_SECURE_CHANNEL_KEY_GRACE_SECONDS).",
)
def rotate_key(grace_seconds: int | None) -> None:
    """Publish a new RSA key."""
    from portico.config import get_settings

    settings = get_settings()
    if grace_seconds is None:
        grace_seconds = settings.secure_channel_key_grace_seconds
    click.echo(asyncio.run(rotate_channel_key(settings, grace_seconds)))


async def rotate_channel_key(settings: Settings, grace_seconds: int) -> str:
    """Publish a new secure-channel key; the old one is accepted for `grace_seconds` more."""
    from portico.crypto import SecretBox
    from portico.securechannel import service as channel_service

    async def work(database: Database) -> str:
        key = await channel_service.rotate_key(
            database, SecretBox(settings), grace_seconds=grace_seconds
        )
        return f"new secure-channel key {key.key_id}; previous keys accepted for {grace_seconds}s"

    return await with_database(settings, work)


COMMANDS: tuple[click.Command, ...] = (ledger, idempotency, secure_channel)
