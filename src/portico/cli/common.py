"""What the commands share: how a command reaches the database and reports a refusal.

The command modules import only Click at import time, and each command imports what it runs
when it runs: the shell runs `portico` on every completion request (and for `--help`), and
importing the application costs ~1 s there (`tests/test_cli.py` keeps it so)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from portico.config import Settings
    from portico.db import Database

T = TypeVar("T")


def echo_lines(lines: list[str]) -> None:
    """Print a command's result, one line each."""
    for line in lines:
        click.echo(line)


def echo_or_refuse(run: Callable[[], str | list[str]]) -> None:
    """Print what a back-office command reports, line by line.

    A refusal (a business error, or nothing to act on: `LookupError`) is printed to stderr and
    exits 1."""
    from portico.errors import AppError

    try:
        result = run()
    except AppError as exc:
        click.echo(f"refused: {exc.code} {exc.message}", err=True)
        raise click.exceptions.Exit(1) from exc
    except LookupError as exc:
        click.echo(str(exc), err=True)
        raise click.exceptions.Exit(1) from exc
    echo_lines([result] if isinstance(result, str) else result)


def run_issuer_action(work: Callable[[AsyncSession], Awaitable[str | list[str]]]) -> None:
    """Run a back-office action in one transaction of its own and print its line(s); a refusal
    changes nothing and exits 1 (`echo_or_refuse`)."""
    from portico.config import get_settings
    from portico.db import in_transaction

    url = get_settings().resolved_database_url
    echo_or_refuse(lambda: asyncio.run(in_transaction(url, work)))


async def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` with the command's database (for services that open their own
    transactions), disposed of afterwards."""
    from portico.db import command_database

    async with command_database(settings.resolved_database_url) as database:
        return await work(database)
