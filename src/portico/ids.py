"""Identifier formats: 16-character alphanumeric `bizId`s and opaque tokens."""

from __future__ import annotations

import secrets
import string
import uuid

_ALPHANUMERIC = string.ascii_letters + string.digits


def new_biz_id(length: int = 16) -> str:
    """A random alphanumeric id (`[A-Za-z0-9]{16}` by default), as the portal documents show."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def new_issuer_id() -> str:
    """A 10-character upper-case alphanumeric issuer id."""
    alphabet = string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(10))


def new_login_history_id() -> str:
    """`lh-` followed by a UUIDv4, the documented login-history id."""
    return f"lh-{uuid.uuid4()}"


def new_token(nbytes: int = 32) -> str:
    """An opaque URL-safe secret token."""
    return secrets.token_urlsafe(nbytes)
