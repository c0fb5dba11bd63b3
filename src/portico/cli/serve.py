"""`portico serve`: the API server, in one process or several on one port.

On SIGTERM (or SIGINT) it stops accepting connections, lets the requests in flight finish (up
to `PORTICO_SHUTDOWN_TIMEOUT_SECONDS`), runs the app's shutdown and exits 0.
`PORTICO_ENV=production` runs `portico check-config` first and refuses to start on a problem."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from portico.config import Settings

APP_FACTORY = "portico.main:create_app"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # portico.ops.metrics.MULTIPROC_ENV


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--workers",
    type=int,
    default=1,
    show_default=True,
    help="API processes (more than one: each on its own SO_REUSEPORT socket).",
)
def serve(host: str, port: int, workers: int) -> None:
    """Run the API server."""
    from portico.cli.check import report_problems
    from portico.config import get_settings
    from portico.ops.config_check import problems

    settings = get_settings()
    if settings.env == "production":
        found = problems(settings, workers=workers)
        if found:
            report_problems(found)
            click.echo("refusing to start: PORTICO_ENV is production", err=True)
            raise click.exceptions.Exit(1)
    if workers > 1 and hasattr(socket, "SO_REUSEPORT"):
        serve_workers(host, port, workers)
        return
    if workers > 1:  # no SO_REUSEPORT: uvicorn's own workers, on one shared socket
        import uvicorn

        with MetricsDirectory():
            uvicorn.run(APP_FACTORY, host=host, port=port, workers=workers, **_options(settings))
        return
    _exit_cleanly_on_signals()
    _run(settings, host=host, port=port)


def _options(settings: Settings) -> dict[str, Any]:
    """The same options everywhere: no `server: uvicorn` banner, no X-Forwarded-* handling
    (PORTICO_TRUSTED_PROXIES decides whom to believe), our own access log, the graceful
    shutdown's limit, and JSON logs from uvicorn too when PORTICO_LOG_FORMAT is json."""
    import uvicorn.config

    from portico.ops.logs import uvicorn_log_config

    return {
        "factory": True,
        "proxy_headers": False,
        "access_log": False,
        "server_header": False,
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
        "log_config": uvicorn_log_config(settings.log_format, settings.log_level)
        or uvicorn.config.LOGGING_CONFIG,
    }


def _exit_cleanly_on_signals() -> None:
    """uvicorn catches SIGTERM/SIGINT, shuts down gracefully, then raises the signal again
    with the handler found before it: this one, so the process exits 0 rather than dying of
    the signal (a stop asked for is a success)."""

    def done(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, done)
    signal.signal(signal.SIGINT, done)


def _run(settings: Settings, *, host: str, port: int, sock: socket.socket | None = None) -> None:
    import uvicorn

    config = uvicorn.Config(APP_FACTORY, host=host, port=port, **_options(settings))
    uvicorn.Server(config).run(sockets=[sock] if sock is not None else None)


def _serve_one(host: str, port: int) -> None:
    """One API process on its own SO_REUSEPORT socket (the kernel spreads connections)."""
    from portico.config import get_settings

    _exit_cleanly_on_signals()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    _run(get_settings(), host=host, port=port, sock=sock)


class MetricsDirectory:
    """`PROMETHEUS_MULTIPROC_DIR` for the API processes (prometheus_client's multiprocess mode):
    the operator's, emptied (the library's rule: a fresh directory for each run), else a new
    temporary one, removed at the end."""

    def __enter__(self) -> Path:
        given = os.environ.get(MULTIPROC_ENV)
        self.owned = not given
        path = Path(given) if given else Path(tempfile.mkdtemp(prefix="portico-metrics-"))
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        os.environ[MULTIPROC_ENV] = str(path)
        self.path = path
        return path

    def __exit__(self, *_: object) -> None:
        if self.owned:
            shutil.rmtree(self.path, ignore_errors=True)
            os.environ.pop(MULTIPROC_ENV, None)


def serve_workers(host: str, port: int, workers: int) -> None:
    """`workers` API processes, each with its own listening socket on the same port.

    uvicorn's own `--workers` shares one socket, and long-lived keep-alive connections then pile
    up on whichever process accepted first; SO_REUSEPORT lets the kernel balance them. SIGTERM
    is passed on to every process, each finishes its requests in flight; the exit status is 0
    when they all stopped cleanly."""
    from portico.ops.metrics import mark_process_dead

    context = multiprocessing.get_context("spawn")
    with MetricsDirectory():
        processes = [context.Process(target=_serve_one, args=(host, port)) for _ in range(workers)]
        for process in processes:
            process.start()

        def stop(_signum: int, _frame: object) -> None:
            for process in processes:
                if process.is_alive():
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for process in processes:
            process.join()
            if process.pid is not None:
                mark_process_dead(process.pid)
    if any(process.exitcode != 0 for process in processes):
        sys.exit(1)
