"""Operating fixtures: the app runs its job worker in process on both databases (so `/readyz`
has a live job runner without a separate `portico worker`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portico.config import Settings
from tests.support.db import make_settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path, jobs_in_process=True, jobs_maintenance_cron="")
