"""Export fixtures: the storage backend (`backend`, local unless a test asks for S3 too), jobs
run by the app's own worker on either database, no periodic jobs (tests run the sweeps
themselves)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portico.config import Settings
from tests.support.db import make_settings
from tests.support.storage import backend_overrides


@pytest.fixture(params=["local"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def export_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def settings(
    database_url: str,
    tmp_path: Path,
    backend: str,
    export_overrides: dict[str, Any],
    request: pytest.FixtureRequest,
) -> Settings:
    overrides: dict[str, Any] = {
        "jobs_in_process": True,
        "jobs_maintenance_cron": "",
        "idempotency_purge_cron": "",
        **backend_overrides(backend, request),
        **export_overrides,
    }
    return make_settings(database_url, tmp_path, **overrides)
