"""Login throughput benchmark: `login/initiate` under load, with a concurrent `/profile` stream.

It answers two questions at once: how many password logins per second the server sustains, and
what those logins (argon2id hashing, throttle counters, the challenge row, the mailed code) do
to the latency of ordinary signed-in requests served at the same time.

Run a server first (any number of workers, SQLite or PostgreSQL), for example:

    export PORTICO_VAR_DIR=/tmp/benchvar
    .venv/bin/portico db upgrade && .venv/bin/portico demo
    .venv/bin/portico serve --port 8100 --workers 2

then, from the repository root, in another shell:

    .venv/bin/python bench/login.py --base-url http://127.0.0.1:8100 \\
        --mail-dir /tmp/benchvar/mail --duration 20 --concurrency 16

Setup (not measured): the profile account (default: the demo consumer) signs in once, reading
the mailed code from `--mail-dir` (the server's file outbox, `$PORTICO_VAR_DIR/mail`), to get
the access token of the `/profile` stream. The login load runs against separate accounts
(`bench-login-<i>@demo.portico`, registered through the API on first use; by default one per
4 login workers, because the per-account limiter reserves an attempt before the password is
checked and so refuses a sixth login of one account in flight with 429). The load never
touches the profile account, and `login/initiate` alone opens no session and evicts nothing.

Measurement: `--concurrency` workers each run `login/initiate` back to back (a closed loop),
while `--profile-concurrency` workers send `GET /profile`, together at `--profile-rate` per
second (0: back to back), each worker on a keep-alive connection of its own (`bench/rawhttp.py`,
a lean asyncio HTTP/1.1 client; the setup uses httpx). Requests that complete during `--warmup`
are not counted. Every loop stops at `--duration` or after `--max-requests`, whichever comes
first.

Output: rate, p50/p99 latency and error count (any answer but 200, or a transport error) of
each stream, and the CPU time this client used (it shares the machine with the server).
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import os
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import rawhttp

API_PREFIX = "/web/v1/consumer"
CODE_PATTERN = re.compile(r"code is (\d{6})")
MAIL_WAIT_SECONDS = 15.0
REQUEST_TIMEOUT_SECONDS = 30.0
DRAIN_SECONDS = REQUEST_TIMEOUT_SECONDS + 5.0
# The per-account limiter reserves an attempt before checking the password, so more than
# `login_account_max_failures` (5) logins of one account in flight get 429s.
PER_ACCOUNT_CONCURRENCY = 4


class SetupError(RuntimeError):
    """The benchmark could not prepare its accounts or token."""


@dataclass
class Stream:
    """What one request stream measured."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0

    def record(self, started: float, finished: float, error: str | None) -> None:
        if error is None:
            self.latencies_ms.append((finished - started) * 1000)
        else:
            self.errors[error] += 1

    def report(self, seconds: float) -> str:
        done = len(self.latencies_ms)
        errors = sum(self.errors.values())
        rate = done / seconds if seconds > 0 else 0.0
        line = (
            f"{self.name + ':':<16}{rate:6.1f}/s  p50 {_pct(self.latencies_ms, 50):5.0f} ms  "
            f"p99 {_pct(self.latencies_ms, 99):5.0f} ms  errors {errors}  (ok {done})"
        )
        if errors:
            line += "  [" + ", ".join(f"{k}: {v}" for k, v in self.errors.most_common()) + "]"
        return line


def _machine_ticks() -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the whole machine, from /proc/stat (Linux); None elsewhere."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _pct(values: list[float], percentile: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percentile // 100))  # ceil without float error
    return ordered[int(rank) - 1]


# --- setup: accounts, mailed codes and the profile token -------------------------------------


def _mail_names(mail_dir: Path) -> set[str]:
    try:
        return {p.name for p in os.scandir(mail_dir) if p.name.endswith(".eml")}
    except FileNotFoundError:
        return set()


async def _wait_for_code(mail_dir: Path, before: set[str], to: str) -> str:
    """The code in the first new message to `to` (names start with a UTC timestamp)."""
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while time.monotonic() < deadline:
        for name in sorted(_mail_names(mail_dir) - before, reverse=True):
            message = email.message_from_bytes(
                (mail_dir / name).read_bytes(), policy=email.policy.default
            )
            if str(message["To"]).strip().lower() != to.lower():
                continue
            body = message.get_body(preferencelist=("plain",))
            match = CODE_PATTERN.search(body.get_content() if body else "")
            if match is None:
                raise SetupError(f"mail to {to} has no code (subject: {message['Subject']!r})")
            return match.group(1)
        await asyncio.sleep(0.05)
    raise SetupError(f"no mail to {to} appeared in {mail_dir} within {MAIL_WAIT_SECONDS:.0f} s")


def _data(response: httpx.Response, what: str) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("success"):
        raise SetupError(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    data = body.get("data")
    return data if isinstance(data, dict) else {}


async def _sign_in(client: httpx.AsyncClient, mail_dir: Path, address: str, password: str) -> str:
    """A full two-step login; returns the access token."""
    before = _mail_names(mail_dir)
    started = await client.post(
        f"{API_PREFIX}/auth/login/initiate", json={"email": address, "password": password}
    )
    session_id = _data(started, f"login/initiate {address}")["sessionId"]
    code = await _wait_for_code(mail_dir, before, address)
    verified = await client.post(
        f"{API_PREFIX}/auth/login/verify",
        json={"sessionId": session_id, "mfaMethod": "EMAIL", "code": code},
    )
    return str(_data(verified, f"login/verify {address}")["accessToken"])


async def _ensure_account(
    client: httpx.AsyncClient,
    mail_dir: Path,
    address: str,
    password: str,
    headers: dict[str, str],
) -> None:
    """Register `address` unless it can already log in (login/initiate alone opens no session).

    `headers` may carry a CF-Connecting-IP, so that registering many accounts does not run into
    the per-IP registration limit (20 per window).
    """
    probe = await client.post(
        f"{API_PREFIX}/auth/login/initiate",
        json={"email": address, "password": password},
        headers=headers,
    )
    if probe.status_code == 200:
        return
    if probe.status_code != 401:
        raise SetupError(f"login/initiate {address}: HTTP {probe.status_code} {probe.text[:300]}")
    before = _mail_names(mail_dir)
    started = await client.post(
        f"{API_PREFIX}/auth/register/initiate",
        json={"email": address, "password": password, "accountName": address.split("@")[0]},
        headers=headers,
    )
    session_id = _data(started, f"register/initiate {address}")["sessionId"]
    code = await _wait_for_code(mail_dir, before, address)
    verified = await client.post(
        f"{API_PREFIX}/auth/register/verify",
        json={"sessionId": session_id, "code": code},
        headers=headers,
    )
    _data(verified, f"register/verify {address} (registered before with another password?)")


# --- the load --------------------------------------------------------------------------------


@dataclass
class Window:
    """The measured interval: completions inside [start, end) count."""

    start: float
    end: float
    budget: int  # max requests per stream

    def counts(self, finished: float) -> bool:
        return self.start <= finished < self.end


async def _timed(
    stream: Stream, window: Window, send: Callable[[], Awaitable[tuple[int, bytes]]]
) -> None:
    started = time.perf_counter()
    error: str | None
    try:
        status, _ = await send()
        error = None if status == 200 else f"HTTP {status}"
    except rawhttp.ERRORS as exc:
        error = type(exc).__name__
    finished = time.perf_counter()
    if window.counts(finished):
        stream.record(started, finished, error)


async def _login_worker(
    connection: rawhttp.Connection,
    stream: Stream,
    window: Window,
    address: str,
    password: str,
    headers: dict[str, str],
) -> None:
    body = {"email": address, "password": password}

    def send() -> Awaitable[tuple[int, bytes]]:
        return connection.post_json(f"{API_PREFIX}/auth/login/initiate", body, headers)

    try:
        while time.perf_counter() < window.end and stream.sent < window.budget:
            stream.sent += 1
            await _timed(stream, window, send)
    finally:
        connection.close()


async def _profile_worker(
    connection: rawhttp.Connection, stream: Stream, window: Window, token: str, period: float
) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    def send() -> Awaitable[tuple[int, bytes]]:
        return connection.get(f"{API_PREFIX}/profile", headers)

    next_at = time.perf_counter()
    try:
        while time.perf_counter() < window.end and stream.sent < window.budget:
            stream.sent += 1
            await _timed(stream, window, send)
            if period > 0:
                # Fixed schedule without catch-up bursts: a slow answer just delays the next.
                next_at = max(next_at + period, time.perf_counter())
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    finally:
        connection.close()


def _login_headers(args: argparse.Namespace, worker: int) -> dict[str, str]:
    headers: dict[str, str] = {}
    if args.close_connections:
        # Keep-alive connections stay with the server process that accepted them; a new
        # connection per request lets the kernel spread logins over several workers.
        headers["Connection"] = "close"
    ip = _client_ip(args, worker)
    if ip:
        headers["CF-Connecting-IP"] = ip
    return headers


def _client_ip(args: argparse.Namespace, index: int) -> str | None:
    """The simulated client address of login worker (or login account) `index`, if any.

    The server trusts CF-Connecting-IP from loopback (the PORTICO_TRUSTED_PROXIES default), so
    the logins look like they come from several clients behind Cloudflare.
    """
    if not args.client_ips:
        return None
    ip = index % args.client_ips
    return f"198.18.{ip // 256}.{ip % 256}"


def _client(args: argparse.Namespace, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=args.base_url,
        headers={"X-PORTAL-ACCESS-CODE": args.access_code},
        timeout=REQUEST_TIMEOUT_SECONDS,
        limits=httpx.Limits(
            max_connections=max(1, connections), max_keepalive_connections=max(1, connections)
        ),
    )


async def run(args: argparse.Namespace) -> int:
    mail_dir = Path(args.mail_dir)
    count = args.login_accounts or max(1, -(-args.concurrency // PER_ACCOUNT_CONCURRENCY))
    accounts = [f"bench-login-{i}@demo.portico" for i in range(1, count + 1)]
    # httpx for the setup; the measured loops use one lean keep-alive connection per worker
    # (bench/rawhttp.py: httpx costs ~2.5 ms of the shared CPU a request), so a profile
    # request never waits behind a login for a connection.
    address = urlsplit(args.base_url)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    fixed = {"X-PORTAL-ACCESS-CODE": args.access_code}

    def connection() -> rawhttp.Connection:
        return rawhttp.Connection(host, port, fixed, REQUEST_TIMEOUT_SECONDS)

    async with _client(args, 4) as setup:
        try:
            for index, address in enumerate(accounts):
                ip = _client_ip(args, index)
                headers = {"CF-Connecting-IP": ip} if ip else {}
                await _ensure_account(setup, mail_dir, address, args.password, headers)
            token = await _sign_in(setup, mail_dir, args.profile_email, args.password)
            check = await setup.get(
                f"{API_PREFIX}/profile", headers={"Authorization": f"Bearer {token}"}
            )
            _data(check, "GET /profile")
        except (SetupError, httpx.HTTPError) as exc:
            print(f"setup failed: {exc!r}", file=sys.stderr)
            return 2

        login_stream, profile_stream = Stream("login/initiate"), Stream("profile")
        now = time.perf_counter()
        window = Window(now + args.warmup, now + args.warmup + args.duration, args.max_requests)
        period = args.profile_concurrency / args.profile_rate if args.profile_rate > 0 else 0.0
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        ticks_before = _machine_ticks()
        tasks = [
            asyncio.create_task(
                _login_worker(
                    connection(),
                    login_stream,
                    window,
                    accounts[i % len(accounts)],
                    args.password,
                    _login_headers(args, i),
                )
            )
            for i in range(args.concurrency)
        ] + [
            asyncio.create_task(
                _profile_worker(connection(), profile_stream, window, token, period)
            )
            for _ in range(args.profile_concurrency)
        ]
        # Workers stop issuing at the window's end; what is in flight then may take up to the
        # request timeout. Anything still running after that is cancelled: the run always ends.
        _, pending = await asyncio.wait(tasks, timeout=args.warmup + args.duration + DRAIN_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        ticks_after = _machine_ticks()

    measured = min(time.perf_counter(), window.end) - window.start
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
        cpu_after.ru_stime - cpu_before.ru_stime
    )
    profile_pace = f"{args.profile_rate:g}/s" if args.profile_rate > 0 else "back to back"
    print(
        f"{args.base_url}  {measured:.1f} s measured after {args.warmup:g} s warm-up  "
        f"login concurrency {args.concurrency} over {len(accounts)} account(s)  "
        f"profile concurrency {args.profile_concurrency} at {profile_pace}"
        + (f"  from {args.client_ips} client IPs" if args.client_ips else "")
        + ("  (login connections closed after each request)" if args.close_connections else "")
    )
    print(login_stream.report(measured))
    print(profile_stream.report(measured))
    cpu_line = f"{'client CPU:':<16}{client_cpu:6.1f} s ({client_cpu / measured:.0%} of one core)"
    if ticks_before and ticks_after and ticks_after[1] > ticks_before[1]:
        busy = (ticks_after[0] - ticks_before[0]) / (ticks_after[1] - ticks_before[1])
        cpu_line += f"  machine busy {busy:.0%} of {os.cpu_count()} cores (whole run)"
    print(cpu_line)
    if pending:
        print(f"warning: {len(pending)} worker(s) cancelled after the drain timeout")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark login/initiate throughput with a concurrent GET /profile stream.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--access-code", default="pac_demo_consumer")
    parser.add_argument(
        "--mail-dir", default="./var/mail", help="the server's outbox ($PORTICO_VAR_DIR/mail)"
    )
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not counted first")
    parser.add_argument("--concurrency", type=int, default=16, help="login workers")
    parser.add_argument("--profile-concurrency", type=int, default=2, help="profile workers")
    parser.add_argument(
        "--profile-rate",
        type=float,
        default=20.0,
        help="total GET /profile per second over all profile workers (0: back to back)",
    )
    parser.add_argument(
        "--login-accounts",
        type=int,
        default=0,
        help="accounts the login workers are spread over, round robin "
        f"(0: one per {PER_ACCOUNT_CONCURRENCY} workers; the account limiter refuses more than "
        "5 logins of one account in flight)",
    )
    parser.add_argument(
        "--close-connections",
        action="store_true",
        help="a new connection for every login (spreads them over the server's worker processes)",
    )
    parser.add_argument(
        "--client-ips",
        type=int,
        default=0,
        help="spread the login workers over this many client IPs, sent as CF-Connecting-IP "
        "(0: all logins come from this machine's address and share its per-IP limiter row)",
    )
    parser.add_argument("--max-requests", type=int, default=100_000, help="upper bound per stream")
    parser.add_argument("--profile-email", default="consumer@demo.portico")
    parser.add_argument(
        "--password", default="DemoPass123!", help="of the profile and the login accounts"
    )
    return parser


def main() -> int:
    args = _parser().parse_args()
    if min(args.concurrency, args.profile_concurrency, args.login_accounts, args.client_ips) < 0:
        print("counts cannot be negative", file=sys.stderr)
        return 2
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
