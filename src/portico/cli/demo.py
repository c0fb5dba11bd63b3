"""`portico demo`: the demo institution, accounts and money."""

from __future__ import annotations

import asyncio

import click

from portico.cli.common import echo_lines


@click.command()
def demo() -> None:
    """Seed the demo institution and accounts (idempotent)."""
    from portico.config import get_settings
    from portico.flows.demo import seed_demo

    echo_lines(asyncio.run(seed_demo(get_settings())))
