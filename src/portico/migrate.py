"""The Alembic migrations, which ship inside the package (`portico/migrations/`), so an
installed Portico migrates its database from anywhere, not only from a checkout."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from portico.config import Settings

# A package resource, resolved by Alembic through importlib.resources (alembic.ini says the same).
SCRIPT_LOCATION = "portico:migrations"


def upgrade_database(settings: Settings, revision: str = "head") -> None:
    """Run the Alembic migrations up to `revision`."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["database_url"] = settings.resolved_database_url
    command.upgrade(config, revision)
