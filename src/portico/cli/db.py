"""`portico db`: the database schema."""

from __future__ import annotations

import click


@click.group()
def db() -> None:
    """Database migrations."""


@db.command()
def upgrade() -> None:
    """Apply all migrations."""
    from portico.config import get_settings
    from portico.migrate import upgrade_database

    settings = get_settings()
    upgrade_database(settings)
    click.echo(f"database is up to date ({settings.resolved_database_url.split('@')[-1]})")
