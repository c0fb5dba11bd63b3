"""The Alembic migrations, which ship inside the package (`portico/migrations/`), so an
installed Portico migrates its database from anywhere, not only from a checkout."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from portico.config import Settings
from portico.jobs.schema import upgrade_job_schema

# A package resource, resolved by Alembic through importlib.resources (alembic.ini says the same).
SCRIPT_LOCATION = "portico:migrations"


def upgrade_database(settings: Settings, revision: str = "head") -> None:
    """Run the Alembic migrations up to `revision`; on PostgreSQL also create or upgrade the
    job queue's schema (procrastinate's own, in the `procrastinate` schema)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["database_url"] = settings.resolved_database_url
    command.upgrade(config, revision)
    if not settings.is_sqlite:
        upgrade_job_schema(settings.resolved_database_url)
