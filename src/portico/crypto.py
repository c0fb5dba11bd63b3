"""Encryption at rest for secrets the server must read back (TOTP secrets, channel keys, ID
numbers), and the keyed blind index that finds an encrypted value without decrypting it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from portico.config import Settings


@lru_cache(maxsize=8)
def _fernet(material: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"portico-at-rest-v1"
    ).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    """Fernet (AES-128-CBC + HMAC) with a key from `PORTICO_ENCRYPTION_KEY`, else derived from
    the secret key."""

    def __init__(self, settings: Settings) -> None:
        self._fernet = _fernet(settings.encryption_key or settings.resolved_secret_key)

    def seal(self, plaintext: bytes) -> str:
        return self._fernet.encrypt(plaintext).decode()

    def open(self, sealed: str) -> bytes | None:
        try:
            return self._fernet.decrypt(sealed.encode())
        except InvalidToken:
            return None


class BlindIndex:
    """HMAC-SHA256 under a key of its own (`PORTICO_BLIND_INDEX_KEY`, else derived from the
    secret key with a label of its own): equal inputs give equal digests, so an encrypted
    value is found by equality, and without the key the digest tells nothing (no dictionary
    of ID numbers can be hashed against it)."""

    def __init__(self, settings: Settings) -> None:
        material = settings.blind_index_key or settings.resolved_secret_key
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"portico-blind-index-v1"
        ).derive(material.encode())

    def digest(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
