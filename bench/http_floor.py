"""What the HTTP stack alone costs: the transfer request against apps that do no work.

`bench/transfers.py` measures whole transfers; `bench/transfers_floor.py` the database alone.
This one measures the rest of the floor: the same `POST …/transfer/command/create` request,
sent the same way (`bench/rawhttp.py`, `--concurrency` keep-alive clients, closed loop) to

- "asgi": a bare ASGI app under uvicorn that reads the body and answers 201 with it;
- "fastapi": a one-route FastAPI app validating the body with Portico's own `TransferCreateIn`
  and answering 201 with the validated body as JSON — no middleware, no database.

Each runs as `--workers` processes on one SO_REUSEPORT port (as `portico serve --workers` does),
with uvloop and httptools when installed. Prints requests/s and p50/p99 per app.

    .venv/bin/python bench/http_floor.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import rawhttp
from fastapi import FastAPI
from starlette.responses import Response
from transfers import REQUEST_TIMEOUT_SECONDS, TRANSFER_PATH, _free_port, _pct

from portico.transfers.schemas import TransferCreateIn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


async def bare(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """Read the body, answer 201 with it."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": body})


api = FastAPI()


@api.post(TRANSFER_PATH, status_code=201)
async def create(body: TransferCreateIn) -> Response:
    content = json.dumps({"code": "2001", "data": body.model_dump(mode="json", by_alias=True)})
    return Response(content, status_code=201, media_type="application/json")


APPS = {"asgi": "http_floor:bare", "fastapi": "http_floor:api"}


def _serve_one(app: str, port: int) -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(APPS[app], access_log=False, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


async def _ready(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def drive(port: int, concurrency: int, warmup: float, duration: float) -> list[float]:
    await _ready(port)
    body = {"fromWalletBizId": "AbJJDRd25xrcDQ1L", "toWalletBizId": "7aUnNEnq6gR1FxtG"}
    headers = {"Authorization": "Bearer " + "x" * 180, "X-PORTAL-ACCESS-CODE": "pac_bench"}
    start = time.perf_counter()
    counted_from, stop = start + warmup, start + warmup + duration
    latencies: list[float] = []

    async def client() -> None:
        connection = rawhttp.Connection("127.0.0.1", port, headers, REQUEST_TIMEOUT_SECONDS)
        try:
            while (began := time.perf_counter()) < stop:
                key = {"Idempotency-Key": f"{began}"}
                status, _ = await connection.post_json(
                    TRANSFER_PATH, {**body, "amount": "0.01"}, key
                )
                if status != 201:
                    raise RuntimeError(f"answer {status}")
                if began >= counted_from:
                    latencies.append((time.perf_counter() - began) * 1000)
        finally:
            connection.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(
        description="The transfer request against apps that do no work.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--concurrency", type=int, default=32, help="keep-alive clients")
    parser.add_argument("--duration", type=float, default=10.0, help="measured s per app")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not counted first")
    parser.add_argument("--apps", nargs="+", choices=tuple(APPS), default=list(APPS))
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    for app in args.apps:
        port = _free_port()
        workers = [
            context.Process(target=_serve_one, args=(app, port)) for _ in range(args.workers)
        ]
        for worker in workers:
            worker.start()
        try:
            latencies = asyncio.run(drive(port, args.concurrency, args.warmup, args.duration))
        finally:
            for worker in workers:
                worker.terminate()
                worker.join()
        print(
            f"{app} ({args.workers} workers, {args.concurrency} clients, {args.duration:g} s): "
            f"{len(latencies) / args.duration:7.0f} requests/s"
            f"  p50 {_pct(latencies, 50):5.1f} ms  p99 {_pct(latencies, 99):5.1f} ms",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
