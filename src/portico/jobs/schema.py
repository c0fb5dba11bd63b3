"""procrastinate's schema, applied and upgraded by `portico db upgrade` (PostgreSQL only).

A fresh database gets procrastinate's `schema.sql`; the version applied is recorded in
`procrastinate.portico_schema_version`, and a later procrastinate version's migration scripts
(shipped in the package, named by the version that introduced them) are applied in order."""

from __future__ import annotations

import re
from pathlib import Path

import procrastinate
import psycopg
from procrastinate.schema import SchemaManager

from portico.jobs.connection import SCHEMA, libpq_url

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


def _version(text: str) -> tuple[int, int, int]:
    match = _VERSION.match(text)
    if not match:
        raise ValueError(f"not a version: {text}")
    return int(match[1]), int(match[2]), int(match[3])


def pending_migrations(applied: str, installed: str) -> list[Path]:
    """procrastinate's migration scripts after `applied`, up to `installed`, in order."""
    scripts = sorted(Path(SchemaManager.get_migrations_path()).glob("*.sql"))
    return [
        script
        for script in scripts
        if _version(applied) < _version(script.name) <= _version(installed)
    ]


def upgrade_job_schema(database_url: str) -> str:
    """Create or upgrade procrastinate's schema; returns the version now applied."""
    installed = procrastinate.__version__
    with psycopg.connect(libpq_url(database_url), autocommit=False) as connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        connection.execute(f"SET LOCAL search_path TO {SCHEMA}")
        # one upgrader at a time (two machines running `db upgrade` at once)
        connection.execute("SELECT pg_advisory_xact_lock(hashtext('portico.job_schema'))")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS portico_schema_version (version text NOT NULL)"
        )
        row = connection.execute("SELECT version FROM portico_schema_version").fetchone()
        if row is None:
            connection.execute(SchemaManager.get_schema())
            connection.execute(
                "INSERT INTO portico_schema_version (version) VALUES (%s)", (installed,)
            )
        elif _version(row[0]) < _version(installed):
            for script in pending_migrations(row[0], installed):
                connection.execute(script.read_text())
            connection.execute("UPDATE portico_schema_version SET version = %s", (installed,))
        connection.commit()
    return installed
