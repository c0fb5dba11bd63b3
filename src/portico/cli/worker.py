"""`portico worker`: run the background jobs (PostgreSQL)."""

from __future__ import annotations

import asyncio

import click


@click.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Jobs run at once (default: PORTICO_JOBS_CONCURRENCY).",
)
def worker(concurrency: int | None) -> None:
    """Run the background jobs (exports, retention sweeps) until SIGINT or SIGTERM.

    Any number of workers may run, on any machines; on SQLite the API process runs the jobs
    itself, and this command refuses to start."""
    from portico.config import get_settings
    from portico.jobs.worker import WorkerUnavailable, run_worker
    from portico.main import configure_logging

    settings = get_settings()
    if concurrency is not None:
        settings = settings.model_copy(update={"jobs_concurrency": concurrency})
    configure_logging(settings)
    try:
        asyncio.run(run_worker(settings))
    except WorkerUnavailable as exc:
        click.echo(str(exc), err=True)
        raise click.exceptions.Exit(1) from exc


COMMANDS: tuple[click.Command, ...] = (worker,)
