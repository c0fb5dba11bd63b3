"""The process-wide tools sign-in needs, built once per app."""

from __future__ import annotations

from dataclasses import dataclass

from portico.config import Settings
from portico.crypto import SecretBox
from portico.db import Database
from portico.mail.sender import Mailer
from portico.security.passwords import PasswordHasher
from portico.security.tokens import TokenService


@dataclass(slots=True)
class AuthKit:
    settings: Settings
    database: Database
    hasher: PasswordHasher
    tokens: TokenService
    mailer: Mailer
    box: SecretBox

    @classmethod
    def build(cls, settings: Settings, database: Database, mailer: Mailer) -> AuthKit:
        return cls(
            settings=settings,
            database=database,
            hasher=PasswordHasher(settings),
            tokens=TokenService(
                settings.resolved_secret_key,
                issuer=settings.jwt_issuer,
                access_ttl_seconds=settings.access_token_ttl_seconds,
            ),
            mailer=mailer,
            box=SecretBox(settings),
        )
