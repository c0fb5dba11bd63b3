"""`portico serve`: the API server, in one process or several on one port."""

from __future__ import annotations

import multiprocessing
import signal
import socket

import click

APP_FACTORY = "portico.main:create_app"


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
    import uvicorn

    if workers > 1 and hasattr(socket, "SO_REUSEPORT"):
        serve_workers(host, port, workers)
        return
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        access_log=False,
    )


def _serve_one(host: str, port: int) -> None:
    """One API process on its own SO_REUSEPORT socket (the kernel spreads connections)."""
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    config = uvicorn.Config(APP_FACTORY, factory=True, proxy_headers=False, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(host: str, port: int, workers: int) -> None:
    """`workers` API processes, each with its own listening socket on the same port.

    uvicorn's own `--workers` shares one socket, and long-lived keep-alive connections then pile
    up on whichever process accepted first; SO_REUSEPORT lets the kernel balance them."""
    context = multiprocessing.get_context("spawn")
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
