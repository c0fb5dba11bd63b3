"""The S3 storage backend under test: moto's S3 server in a process of its own, and the
settings that point the app at it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.support.servers import free_port

FILE_MAX_BYTES = 6 * 1024 * 1024  # past one 5 MiB S3 part, so a cut upload has parts to abort


@contextmanager
def moto_server() -> Iterator[str]:
    """A real S3-compatible server over HTTP (moto's server mode) on a free port."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and a dev dependency
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/moto-api/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def s3_overrides(endpoint: str, bucket: str) -> dict[str, Any]:
    """Settings for the S3 storage backend on the test server."""
    return {
        "storage_backend": "s3",
        "s3_bucket": bucket,
        "s3_endpoint_url": endpoint,
        "s3_access_key_id": "testing",
        "s3_secret_access_key": "testing",
        "s3_addressing_style": "path",
    }


def backend_overrides(backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings for the storage backend named by a test's `backend` parameter."""
    if backend != "s3":
        return {}
    return s3_overrides(
        request.getfixturevalue("s3_endpoint"), request.getfixturevalue("s3_bucket")
    )
