"""Settings, read from `PORTICO_*` environment variables (and an optional `.env` file)."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from croniter import croniter
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the platform; the defaults are the embedded single-machine setup."""

    model_config = SettingsConfigDict(env_prefix="PORTICO_", env_file=".env", extra="ignore")

    var_dir: Path = Path("./var")
    database_url: str = ""
    database_echo: bool = False
    database_pool_size: int = 20
    # How many payments one process books on the short path at once (`web/fast_transfers.py`;
    # more wait their turn): a booking is one statement that keeps the CPU busy, so more calls
    # in flight than the database has cores only add lock waits and context switches. 0: as
    # many as the pool allows.
    database_booking_concurrency: int = Field(default=4, ge=0)
    # "pgbouncer": `database_url` points at PgBouncer in transaction-pooling mode (no prepared
    # statement outlives its transaction, every request in a transaction); "direct": PostgreSQL.
    database_pooling: Literal["direct", "pgbouncer"] = "direct"
    # The job queue's connection (procrastinate: LISTEN/NOTIFY, session settings), straight to
    # PostgreSQL when `database_url` goes through PgBouncer; empty: `database_url`.
    jobs_database_url: str = ""
    secret_key: str = ""
    encryption_key: str = ""
    # The key of the ID-number blind index (onboarding); derived from the secret key when
    # unset. Changing it makes every stored index unfindable: set it once.
    blind_index_key: str = ""

    max_body_bytes: int = 1_048_576
    # Freeze the heap startup built (`gc.freeze`) so full collections skip it: a server's
    # setting; the tests, which start hundreds of apps in one process, turn it off.
    gc_freeze: bool = True
    # Peers whose `CF-Connecting-IP` is believed (CIDRs). None by default: any client could
    # otherwise choose the IP that the whitelist and the per-IP limits see.
    trusted_proxies: list[str] = Field(default_factory=list)
    log_level: str = "INFO"
    # `text` (the default: one readable line per record) or `json` (one JSON object a line).
    log_format: Literal["text", "json"] = "text"

    # `production` makes `portico serve` run `portico check-config` first and refuse to start
    # on any problem it finds.
    env: Literal["development", "production"] = "development"
    # When set, `/metrics` answers only `Authorization: Bearer <this token>`.
    metrics_token: str = ""
    # How long `/readyz` waits for the database before calling it down.
    readiness_timeout_seconds: float = 2.0
    # On SIGTERM: requests in flight get this long to finish before the server exits.
    shutdown_timeout_seconds: float = 30.0

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
    # `{portal}` is `consumer` or `partner`: the link opens that portal's reset page.
    password_reset_url: str = "{base}/{portal}/reset-password?token={token}"  # noqa: S105
    # The portal access code the web pages send for each portal (one institution per server's
    # pages); empty: the only enabled code of that portal in the database, if there is one.
    web_consumer_access_code: str = ""
    web_partner_access_code: str = ""
    # The activation mail of an onboarded customer: a single-use link to set its password
    # (the token is redeemed by the consumer portal's `auth/password/reset`: the link opens the
    # consumer portal's reset page).
    activation_url: str = "{base}/consumer/reset-password?token={token}"
    activation_ttl_seconds: int = 7 * 24 * 3600
    # The onboarding body carries the document images (base64): its own size limit.
    onboarding_max_body_bytes: int = 16 * 1024 * 1024
    onboarding_image_max_bytes: int = 4 * 1024 * 1024

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

    # Uploaded files and finished exports live in one store: a local directory (the embedded
    # default, `var_dir/files`) or any S3-compatible bucket.
    file_max_bytes: int = 10 * 1024 * 1024
    storage_backend: Literal["local", "s3"] = "local"
    storage_dir: Path | None = None
    s3_bucket: str = ""
    s3_endpoint_url: str = ""  # MinIO, Ceph, R2...; empty for AWS S3
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""  # empty: the default AWS credential chain
    s3_secret_access_key: str = ""
    s3_prefix: str = ""
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"

    # Background jobs (procrastinate). In-process on SQLite (always) and, when set, on
    # PostgreSQL; else a separate `portico worker` runs them.
    jobs_in_process: bool | None = None
    jobs_concurrency: int = 2
    # Cron schedules (5 fields, or 6 with seconds last); empty: never.
    jobs_maintenance_cron: str = "* * * * *"
    idempotency_purge_cron: str = "17 * * * *"
    export_lease_seconds: int = 60
    export_retention_seconds: int = 86_400
    export_max_attempts: int = 3
    export_max_rows: int = 1_000_000

    turnstile_secret: str = ""
    turnstile_verify_url: str = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    turnstile_timeout_seconds: float = 5.0

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)
        return value

    @field_validator("jobs_maintenance_cron", "idempotency_purge_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if value and not croniter.is_valid(value):
            raise ValueError(f"not a cron expression: {value!r}")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def runs_jobs_in_process(self) -> bool:
        """SQLite has no shared queue, so its API process runs the jobs itself."""
        return self.is_sqlite or bool(self.jobs_in_process)

    @property
    def resolved_storage_dir(self) -> Path:
        """The local storage backend's root."""
        return self.storage_dir or self.var_dir / "files"

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
