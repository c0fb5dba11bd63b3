"""Real `portico serve` processes: SIGTERM with a request in flight (it is finished, new
connections are refused, the exit status is 0), and `--workers 2` adding up both processes'
metrics on every scrape (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from portico.config import Settings
from tests.ops.test_endpoints import sample
from tests.support.servers import free_port, server_env


def start(settings: Settings, tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = server_env(settings, tmp_path / "var", PORTICO_SHUTDOWN_TIMEOUT_SECONDS="20")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "portico.cli", "serve", "--port", str(port), *args], env=env
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


@pytest.mark.usefixtures("database")
def test_sigterm_finishes_the_request_in_flight(settings: Settings, tmp_path: Path) -> None:
    process, port = start(settings, tmp_path)
    try:
        body = b'{"email":"nobody@example.com","password":"Whatever-123"}'
        request = (
            b"POST /web/v1/consumer/auth/login/initiate HTTP/1.1\r\nHost: portico\r\n"
            b"Content-Type: application/json\r\nX-PORTAL-ACCESS-CODE: pac_nope\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        client.sendall(request + body[:10])  # in flight: the server waits for the rest
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert process.poll() is None, "it did not wait for the request in flight"
        assert refused(port), "it still accepts connections"
        client.sendall(body[10:])
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
        client.close()
        assert answer.startswith(b"HTTP/1.1 403 "), answer[:200]
        assert b"ACCESS.PORTAL_CODE_INVALID" in answer
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.usefixtures("database")
def test_workers_add_up_their_metrics(settings: Settings, tmp_path: Path) -> None:
    process, port = start(settings, tmp_path, "--workers", "2")
    base = f"http://127.0.0.1:{port}"
    route = {"route": "/web/v1/consumer/constants/countries", "status": "403"}
    try:
        for _ in range(40):  # a connection each: the kernel spreads them over both processes
            with httpx.Client() as client:
                client.get(f"{base}/web/v1/consumer/constants/countries")
        scrapes = []
        for _ in range(6):
            with httpx.Client() as client:
                scrapes.append(client.get(f"{base}/metrics").text)
        assert all(sample(s, "portico_http_requests_total", **route) == 40 for s in scrapes)
        pools = [sample(s, "portico_db_pool_connections_in_use", pool="main") for s in scrapes]
        assert all(value >= 0 for value in pools)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
