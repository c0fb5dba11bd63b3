"""The Prometheus metrics (`/metrics`), through `prometheus_client`.

With several API processes (`portico serve --workers N`) every process writes its samples to
files in `PROMETHEUS_MULTIPROC_DIR` (set by `portico serve` before the processes start) and
whichever process answers a scrape adds them all up: the library's multiprocess mode.

Labels carry only bounded, non-personal values: route templates (never paths), methods,
statuses, portals, reasons (error codes) and operations, never an id, an email or an amount.
Nothing here touches the database per request; the job counts are read once per scrape.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter(
    "portico_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "portico_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
POOL_IN_USE = Gauge(
    "portico_db_pool_connections_in_use",
    "Database connections checked out of the process's pools (`main` serves requests, `side` "
    "the short side transactions), summed over the live API processes.",
    ["pool"],
    multiprocess_mode="livesum",
)
SIGNIN_FAILURES = Counter(
    "portico_signin_failures",
    "Failed sign-in attempts (a wrong password or unknown email, a wrong code), by portal.",
    ["portal", "reason"],
)
LOCKOUTS = Counter(
    "portico_signin_lockouts",
    "Sign-in attempts refused because a brute-force limit is reached, by portal and by what is "
    "locked (`account`: passwords, `mfa`: codes, `ip`).",
    ["portal", "scope"],
)
IDEMPOTENT_REPLAYS = Counter(
    "portico_idempotent_replays",
    "Money requests answered from a stored answer (the same idempotency key and body).",
    ["operation"],
)
MONEY_REFUSED = Counter(
    "portico_money_requests_refused",
    "Money-moving requests refused, by operation and reason (the error code).",
    ["operation", "reason"],
)
JOB_STATES = ("queued", "running", "failed")


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def track_pool(engine: AsyncEngine, pool: str) -> None:
    """Keep `portico_db_pool_connections_in_use{pool}` current from the pool's own events (an
    in-memory add per checkout and checkin)."""
    gauge = POOL_IN_USE.labels(pool)
    gauge.inc(0)  # the series exists from the start
    event.listen(engine.sync_engine, "checkout", lambda *_: gauge.inc())
    event.listen(engine.sync_engine, "checkin", lambda *_: gauge.dec())


class _JobCounts(Collector):
    def __init__(self, counts: dict[str, int] | None) -> None:
        self.counts = counts

    def collect(self) -> Iterable[GaugeMetricFamily]:
        jobs = GaugeMetricFamily(
            "portico_jobs",
            "Background jobs by state: queued, running, failed (failed jobs are kept 72 hours).",
            labels=["state"],
        )
        up = GaugeMetricFamily(
            "portico_jobs_query_up", "1 when the job counts could be read at this scrape."
        )
        up.add_metric([], 0 if self.counts is None else 1)
        for state in JOB_STATES:
            if self.counts is not None:
                jobs.add_metric([state], self.counts.get(state, 0))
        yield jobs
        yield up


def render(job_counts: dict[str, int] | None) -> bytes:
    """The exposition text: this process's metrics (or every process's, in multiprocess mode)
    and the job counts read for this scrape (None: unreadable)."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    jobs = CollectorRegistry()
    jobs.register(_JobCounts(job_counts))
    return text + generate_latest(jobs)


def mark_process_dead(pid: int) -> None:
    """Drop a stopped process's live gauges (multiprocess mode)."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
