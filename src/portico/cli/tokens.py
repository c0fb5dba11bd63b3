"""The token endpoint's signing keys and expired grants."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from portico.cli.common import with_database

if TYPE_CHECKING:
    from portico.db import Database


@click.group()
def token() -> None:
    """OAuth2 access token signing keys and grants."""


@token.command("rotate-key")
@click.option(
    "--grace-seconds",
    type=int,
    default=None,
    help="How long the old key stays valid (default: PORTICO_OAUTH_KEY_GRACE_SECONDS).",
)
def rotate_key(grace_seconds: int | None) -> None:
    """Sign new access tokens with a new ES256 key."""
    from portico.config import get_settings
    from portico.crypto import SecretBox
    from portico.oauth.keys import Keyring

    settings = get_settings()
    grace = settings.oauth_key_grace_seconds if grace_seconds is None else grace_seconds

    async def work(database: Database) -> str:
        key = await Keyring(database, SecretBox(settings)).rotate(grace_seconds=grace)
        return f"new signing key {key.kid}; previous keys published and accepted for {grace}s"

    click.echo(asyncio.run(with_database(settings, work)))


@token.command("purge")
def purge_tokens() -> None:
    """Delete expired grants (token families) and their refresh tokens."""
    from portico.config import get_settings
    from portico.oauth import service

    deleted = asyncio.run(with_database(get_settings(), service.purge_expired))
    click.echo(f"deleted {deleted} expired grant(s)")


COMMANDS: tuple[click.Command, ...] = (token,)
