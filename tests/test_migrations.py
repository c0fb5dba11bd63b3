"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import portico
from portico.db import Database
from portico.migrate import SCRIPT_LOCATION
from portico.models import Base

ROOT = Path(__file__).resolve().parents[1]


async def test_models_match_migrations(database: Database) -> None:
    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with database.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


def test_the_checkout_and_the_package_use_the_same_migrations() -> None:
    """`alembic` run from the checkout (alembic.ini) and `portico db upgrade` (the package)
    read the one copy inside the package, which has a single head."""
    checkout = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    package = ScriptDirectory.from_config(config)
    inside = Path(portico.__file__).parent / "migrations"
    assert Path(checkout.dir).resolve() == Path(package.dir).resolve() == inside.resolve()
    assert len(package.get_heads()) == 1
    assert (inside / "versions").is_dir() and list((inside / "versions").glob("*.py"))
