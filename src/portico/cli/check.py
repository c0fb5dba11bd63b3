"""`portico check-config`: every setting with its source, and what is unsafe for production."""

from __future__ import annotations

import click


@click.command("check-config")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="The API processes `portico serve --workers` will run.",
)
def check_config(workers: int) -> None:
    """Print every setting with its source; exit 1 with one line per production problem."""
    from portico.config import Settings
    from portico.ops.config_check import problems, settings_report

    settings = Settings()
    for line in settings_report(settings):
        click.echo(line)
    found = problems(settings, workers=workers)
    report_problems(found)
    if found:
        raise click.exceptions.Exit(1)
    click.echo("no problem for production")


def report_problems(found: list[str]) -> None:
    for problem in found:
        click.echo(f"problem: {problem}", err=True)


COMMANDS: tuple[click.Command, ...] = (check_config,)
