"""procrastinate's connection: its own PostgreSQL schema on the application's database, or an
in-memory queue for the embedded SQLite default."""

from __future__ import annotations

from procrastinate import BaseConnector, PsycopgConnector
from procrastinate.testing import InMemoryConnector
from sqlalchemy import make_url

from portico.config import Settings

# procrastinate's tables and functions live in a schema of their own, so they never mix with
# (or show up in the Alembic comparison of) the application's tables.
SCHEMA = "procrastinate"


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL (`postgresql+asyncpg://…`) as a libpq one for psycopg."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def build_connector(settings: Settings, *, max_size: int = 4) -> BaseConnector:
    if settings.is_sqlite:
        # The embedded default has no server to share a queue through: the API process is the
        # only worker, and its queue lives in its memory. The job rows (exports) are the
        # source of truth, so what a restart loses is deferred again by the maintenance job.
        return InMemoryConnector()
    return PsycopgConnector(
        conninfo=libpq_url(settings.jobs_database_url or settings.resolved_database_url),
        min_size=1,
        max_size=max_size,
        kwargs={"options": f"-c search_path={SCHEMA}"},
    )
