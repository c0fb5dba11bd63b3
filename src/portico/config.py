"""Settings, read from `PORTICO_*` environment variables (and an optional `.env` file)."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the platform; the defaults are the embedded single-machine setup."""

    model_config = SettingsConfigDict(env_prefix="PORTICO_", env_file=".env", extra="ignore")

    var_dir: Path = Path("./var")
    database_url: str = ""
    database_echo: bool = False
    database_pool_size: int = 20
    # Expired Idempotency-Key records are deleted this often by every API process (0: never;
    # then run `portico idempotency purge` from cron).
    idempotency_purge_interval_seconds: float = 3600.0
    secret_key: str = ""
    encryption_key: str = ""

    max_body_bytes: int = 1_048_576
    # Peers whose `CF-Connecting-IP` is believed (CIDRs). None by default: any client could
    # otherwise choose the IP that the whitelist and the per-IP limits see.
    trusted_proxies: list[str] = Field(default_factory=list)
    log_level: str = "INFO"

    access_token_ttl_seconds: int = 3600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # `expiresIn` of login/initiate and register/initiate (300 s, as documented); the mailed
    # code has the same lifetime by default and is never accepted after its session ended.
    login_session_ttl_seconds: int = 300
    email_code_ttl_seconds: int = 300
    email_code_max_attempts: int = 5
    password_reset_ttl_seconds: int = 1800
    max_sessions_default: int = 3
    jwt_issuer: str = "portico"

    argon2_memory_kib: int = 19_456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    argon2_max_threads: int = 0  # 0 = one per CPU core

    login_account_max_failures: int = 5
    login_ip_max_failures: int = 100
    login_failure_window_seconds: int = 900

    mail_backend: Literal["file", "smtp"] = "file"
    mail_outbox_dir: Path | None = None
    mail_from: str = "Portico <no-reply@portico.local>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 10.0
    # PEM file of the CA(s) to trust for the relay's certificate (an internal CA); the system's
    # trust store when unset. Certificates and host names are always verified.
    smtp_ca_file: Path | None = None

    public_base_url: str = "http://127.0.0.1:8000"
    password_reset_url: str = "{base}/reset-password?token={token}"  # noqa: S105 - a URL template

    totp_issuer: str = "Portico"
    secure_channel_session_ttl_seconds: int = 3600
    secure_channel_key_grace_seconds: int = 86_400

    # The token endpoint (`/auth/realms/{realm}/protocol/openid-connect/token`).
    oauth_access_token_ttl_seconds: int = 3600
    oauth_refresh_token_ttl_seconds: int = 86_400
    oauth_key_grace_seconds: int = 86_400
    oauth_client_max_failures: int = 10
    # Consumer operations are kept this long, then purged (the issuer document: 3 months).
    issuer_operation_retention_days: int = 92

    turnstile_secret: str = ""
    turnstile_verify_url: str = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    turnstile_timeout_seconds: float = 5.0

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)
        return value

    @property
    def resolved_database_url(self) -> str:
        """The store URL; the embedded default is a SQLite file under `var_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'portico.db').as_posix()}"

    @property
    def resolved_mail_outbox_dir(self) -> Path:
        """Where the file mail backend writes `.eml` files."""
        return self.mail_outbox_dir or self.var_dir / "mail"

    @property
    def resolved_secret_key(self) -> str:
        """The signing secret; generated once into `var_dir/secret.key` when not configured."""
        if self.secret_key:
            return self.secret_key
        return _secret_from_file(self.var_dir / "secret.key")


def _secret_from_file(path: Path) -> str:
    """Read the persisted secret, creating it atomically the first time (shared by all workers)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    candidate.write_text(secrets.token_urlsafe(48))
    candidate.chmod(0o600)
    try:
        # link() fails if another process won the race; then everyone reads the winner's key.
        path.hardlink_to(candidate)
    except FileExistsError:
        pass
    finally:
        candidate.unlink(missing_ok=True)
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
