"""The Alembic environment and revisions (`versions/`), run by `portico db upgrade`."""
