"""Identifier formats: 16-character alphanumeric `bizId`s and opaque tokens."""

from __future__ import annotations

import secrets
import string
import uuid

_ALPHANUMERIC = string.ascii_letters + string.digits


# The largest multiple of the alphabet's size a byte can reach: bytes below it map uniformly.
_UNBIASED = 256 - 256 % len(_ALPHANUMERIC)


def new_biz_id(length: int = 16) -> str:
    """A random alphanumeric id (`[A-Za-z0-9]{16}` by default), as the portal documents show.

    One read of the system's random source for the whole id (not one per character, as
    `secrets.choice` does: a few percent of a transfer's CPU), each byte below `_UNBIASED`
    mapped to a character, the others dropped, so every character stays equally likely."""
    chars: list[str] = []
    while len(chars) < length:
        for byte in secrets.token_bytes(length + 8):
            if byte < _UNBIASED:
                chars.append(_ALPHANUMERIC[byte % len(_ALPHANUMERIC)])
                if len(chars) == length:
                    break
    return "".join(chars)


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
