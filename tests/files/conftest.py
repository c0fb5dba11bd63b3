"""File fixtures: the storage backend under test (`backend`: local by default; a test marked
`@pytest.mark.parametrize("backend", ["local", "s3"], indirect=True)` runs on both, S3 being a
real moto server over HTTP)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portico.config import Settings
from tests.support.db import make_settings
from tests.support.storage import backend_overrides

FILE_MAX_BYTES = 6 * 1024 * 1024  # past one 5 MiB S3 part, so a cut upload has parts to abort


@pytest.fixture(params=["local"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> Settings:
    overrides: dict[str, Any] = {"file_max_bytes": FILE_MAX_BYTES}
    overrides.update(backend_overrides(backend, request))
    return make_settings(database_url, tmp_path, **overrides)
