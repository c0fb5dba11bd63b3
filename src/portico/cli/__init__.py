"""The `portico` command: one Click group; each module of this package defines its commands
and `COMMANDS` below names them (a new command or group is one module and one entry)."""

from __future__ import annotations

from collections.abc import Sequence

import click

from portico.cli import check, issuer, maintenance, partner, tokens, worker
from portico.cli.db import db
from portico.cli.demo import demo
from portico.cli.serve import serve

PROG_NAME = "portico"  # also names the completion variable: _PORTICO_COMPLETE

COMMANDS: tuple[click.Command, ...] = (
    serve,
    *check.COMMANDS,
    db,
    demo,
    *issuer.COMMANDS,
    *partner.COMMANDS,
    *maintenance.COMMANDS,
    *tokens.COMMANDS,
    *worker.COMMANDS,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def root() -> None:
    """Portico wallet platform.

    Shell completion: eval "$(_PORTICO_COMPLETE=bash_source portico)" (or zsh_source,
    fish_source)."""


for _command in COMMANDS:
    root.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `portico ARGV…` (the process's arguments by default); returns the exit status."""
    try:
        root.main(args=list(argv) if argv is not None else None, prog_name=PROG_NAME)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        click.echo(done.code, err=True)
        return 1
    return 0
