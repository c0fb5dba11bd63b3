"""`portico check-config`: every setting with where its value came from, and what is unsafe
for production (`PORTICO_ENV=production` makes `portico serve` refuse to start on it)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from dotenv import dotenv_values
from sqlalchemy import make_url

from portico.config import Settings

ENV_PREFIX = "PORTICO_"
DOTENV = ".env"
# Shown as set or unset, never their value.
SECRETS = frozenset(
    {
        "secret_key",
        "encryption_key",
        "smtp_password",
        "s3_secret_access_key",
        "turnstile_secret",
        "metrics_token",
    }
)
MIN_SECRET_LENGTH = 32


def _source(name: str, dotenv: dict[str, str | None]) -> str:
    variable = ENV_PREFIX + name.upper()
    if any(key.upper() == variable for key in os.environ):
        return f"environment {variable}"
    if any(key.upper() == variable for key in dotenv):
        return f"{DOTENV} {variable}"
    return "default"


def _shown(name: str, value: object) -> str:
    if name in SECRETS:
        return "(set)" if value else "(not set)"
    if name == "database_url" and isinstance(value, str) and value:
        return make_url(value).render_as_string(hide_password=True)
    return repr(value) if isinstance(value, str) else str(value)


def settings_report(settings: Settings) -> list[str]:
    """One line per setting: `name = value  (source)`; secrets only as set or not set."""
    dotenv = dotenv_values(DOTENV) if Path(DOTENV).is_file() else {}
    return [
        f"{name} = {_shown(name, getattr(settings, name))}  ({_source(name, dotenv)})"
        for name in Settings.model_fields
    ]


def _public(entry: str) -> bool:
    network = ipaddress.ip_network(entry, strict=False)
    return not (network.is_private or network.is_loopback or network.is_link_local)


def problems(settings: Settings, *, workers: int = 1) -> list[str]:
    """What makes this configuration unsafe for production, one line each (none: safe)."""
    found: list[str] = []
    if not settings.secret_key:
        found.append(
            "PORTICO_SECRET_KEY is not set: the default is a key generated into "
            f"{settings.var_dir / 'secret.key'}, different on every machine and lost with it"
        )
    elif len(settings.secret_key) < MIN_SECRET_LENGTH:
        found.append(f"PORTICO_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters")
    if settings.is_sqlite and workers > 1:
        found.append(
            f"SQLite with --workers {workers}: one file has one writer at a time and the job "
            "queue lives in each process's memory; use PostgreSQL (PORTICO_DATABASE_URL)"
        )
    if settings.mail_backend == "file":
        found.append(
            "PORTICO_MAIL_BACKEND is file: mail is written to "
            f"{settings.resolved_mail_outbox_dir} and never delivered; use smtp"
        )
    public = [entry for entry in settings.trusted_proxies if _public(entry)]
    if public:
        found.append(
            "PORTICO_TRUSTED_PROXIES includes public ranges ("
            + ", ".join(public)
            + "): anyone there could choose the client IP the whitelist and limits see"
        )
    if not settings.encryption_key:
        found.append(
            "PORTICO_ENCRYPTION_KEY is not set: the encryption key is derived from the secret "
            "key, so rotating the secret key would make the encrypted TOTP secrets unreadable"
        )
    return found
