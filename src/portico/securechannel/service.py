"""The server's RSA-OAEP keys and the AES-256-GCM channel sessions clients open with them.

Keys live in the database (private keys sealed at rest), so every API process publishes and
accepts the same key. After a rotation the previous key is still accepted until its
`expires_at` (the grace period).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import or_, select, update

from portico.crypto import SecretBox
from portico.db import Database, utcnow
from portico.errors import InternalError
from portico.ids import new_token
from portico.securechannel.models import ChannelKey, ChannelSession

OAEP = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)
_private_keys: dict[str, rsa.RSAPrivateKey] = {}


@dataclass(frozen=True, slots=True)
class OpenedChannel:
    session_id: str
    expires_at: datetime


def _new_key(box: SecretBox) -> ChannelKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ChannelKey(
        key_id=secrets.token_hex(6),
        public_key_der_b64=base64.b64encode(public_der).decode(),
        private_key_encrypted=box.seal(private_der),
        created_at=utcnow(),
        expires_at=None,
    )


async def _published(database: Database) -> ChannelKey | None:
    async with database.side_transaction() as session:
        # Several processes may create a first key at once; all publish the oldest active one.
        return (
            await session.execute(
                select(ChannelKey)
                .where(ChannelKey.expires_at.is_(None))
                .order_by(ChannelKey.created_at.desc(), ChannelKey.key_id)
                .limit(1)
            )
        ).scalar_one_or_none()


async def current_key(database: Database, box: SecretBox) -> ChannelKey:
    """The published key, created the first time it is needed."""
    key = await _published(database)
    if key is None:
        async with database.side_transaction() as session:
            session.add(_new_key(box))
        key = await _published(database)
    if key is None:
        raise InternalError()
    return key


async def rotate_key(database: Database, box: SecretBox, *, grace_seconds: int) -> ChannelKey:
    """Publish a new key; the previous ones stay acceptable for `grace_seconds`."""
    new = _new_key(box)
    async with database.transaction() as session:
        await session.execute(
            update(ChannelKey)
            .where(ChannelKey.expires_at.is_(None))
            .values(expires_at=utcnow() + timedelta(seconds=grace_seconds))
        )
        session.add(new)
    return new


def _private_key(key: ChannelKey, box: SecretBox) -> rsa.RSAPrivateKey | None:
    cached = _private_keys.get(key.key_id)
    if cached is None:
        der = box.open(key.private_key_encrypted)
        if der is None:
            return None
        loaded = serialization.load_der_private_key(der, password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            return None
        cached = _private_keys[key.key_id] = loaded
    return cached


def _b64(value: object, limit: int = 4096) -> bytes | None:
    if not isinstance(value, str) or len(value) > limit:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


async def open_channel(
    database: Database, box: SecretBox, *, key_id: object, encrypted_key: object, ttl_seconds: int
) -> OpenedChannel | None:
    """Unwrap the client's AES-256 key with an acceptable server key; None on any bad input."""
    wrapped = _b64(encrypted_key)
    if not isinstance(key_id, str) or wrapped is None:
        return None
    now = utcnow()
    async with database.side_transaction() as session:
        key = (
            await session.execute(
                select(ChannelKey).where(
                    ChannelKey.key_id == key_id[:32],
                    or_(ChannelKey.expires_at.is_(None), ChannelKey.expires_at > now),
                )
            )
        ).scalar_one_or_none()
    private = _private_key(key, box) if key else None
    if key is None or private is None:
        return None
    try:
        aes_key = private.decrypt(wrapped, OAEP)
    except ValueError:
        return None
    if len(aes_key) != 32:
        return None
    channel = ChannelSession(
        id=new_token(24),
        key_id=key.key_id,
        aes_key_encrypted=box.seal(aes_key),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    async with database.side_transaction() as session:
        session.add(channel)
    return OpenedChannel(session_id=channel.id, expires_at=channel.expires_at)


async def close_channel(database: Database, session_id: str) -> None:
    """End a channel session (idempotent)."""
    async with database.side_transaction() as session:
        await session.execute(
            update(ChannelSession)
            .where(ChannelSession.id == session_id[:64], ChannelSession.closed_at.is_(None))
            .values(closed_at=utcnow())
        )


async def channel_key(database: Database, box: SecretBox, session_id: str) -> bytes | None:
    """The AES key of a live channel session (read on every request: closes apply at once)."""
    async with database.side_transaction() as session:
        channel = await session.get(ChannelSession, session_id[:64])
    if channel is None or channel.closed_at is not None or channel.expires_at <= utcnow():
        return None
    return box.open(channel.aes_key_encrypted)


def decrypt(aes_key: bytes, iv_b64: object, ciphertext_b64: object) -> bytes | None:
    """Open an AES-256-GCM payload; None for bad base64, a wrong IV or a failed tag check."""
    iv, ciphertext = _b64(iv_b64), _b64(ciphertext_b64, limit=1 << 24)
    if iv is None or ciphertext is None or len(iv) != 12:
        return None
    try:
        return AESGCM(aes_key).decrypt(iv, ciphertext, None)
    except Exception:  # InvalidTag and malformed input alike
        return None


def encrypt(aes_key: bytes, plaintext: bytes) -> dict[str, str]:
    iv = secrets.token_bytes(12)
    ciphertext = AESGCM(aes_key).encrypt(iv, plaintext, None)
    return {
        "iv": base64.b64encode(iv).decode(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }
