"""What a job needs from the process it runs in."""

from __future__ import annotations

from dataclasses import dataclass

from portico.config import Settings
from portico.db import Database
from portico.storage import Storage


@dataclass(frozen=True, slots=True)
class JobRuntime:
    settings: Settings
    database: Database
    storage: Storage
