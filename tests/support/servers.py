"""Real server processes on free ports, serving the test database with the test secret."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from portico.config import Settings


def free_port() -> int:
    """A port nobody listens on now (the kernel's pick: parallel workers get different ones)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(settings: Settings, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a server process serving the test database with the test secret."""
    return {
        **os.environ,
        "PORTICO_DATABASE_URL": settings.resolved_database_url,
        "PORTICO_SECRET_KEY": settings.secret_key,
        "PORTICO_VAR_DIR": str(var_dir),
        "PORTICO_MAIL_OUTBOX_DIR": str(settings.resolved_mail_outbox_dir),
        "PORTICO_LOG_LEVEL": "WARNING",
        "PORTICO_ARGON2_MEMORY_KIB": str(settings.argon2_memory_kib),
        "PORTICO_ARGON2_TIME_COST": str(settings.argon2_time_cost),
        # A small pool per process: the suite's workers and their servers share PostgreSQL's
        # 100 connections.
        "PORTICO_DATABASE_POOL_SIZE": "8",
        **extra,
    }


@contextmanager
def running_servers(
    env: dict[str, str], count: int = 1, *, cli: bool = False, stderr: Any = None
) -> Iterator[list[str]]:
    """`count` server processes on free ports, up (`/healthz` answers) before this yields.

    `cli`: started as operators do, `portico serve`; else `uvicorn` directly."""
    ports = [free_port() for _ in range(count)]

    def command(port: int) -> list[str]:
        if cli:
            return [sys.executable, "-m", "portico.cli", "serve", "--port", str(port)]
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "portico.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]

    processes = [
        subprocess.Popen(command(port), env=env, stderr=stderr)  # noqa: S603 - our own interpreter
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 120  # a loaded machine imports slowly
        for url in urls:
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start")
                time.sleep(0.1)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            # A graceful shutdown waits for open connections; on a loaded machine it may take
            # longer than a test should wait: then the process is killed.
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
