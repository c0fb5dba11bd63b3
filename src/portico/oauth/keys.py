"""The ES256 keys that sign access tokens, kept in the database so every API process signs
and verifies with the same ones (private keys sealed at rest, like the secure-channel keys).

The newest key without `retires_at` signs. `rotate` publishes a new key and gives the old ones
a `retires_at` (the grace period): until then they stay in the JWKS and their tokens are still
accepted. Each process remembers keys for `CACHE_SECONDS`, so a rotation elsewhere is seen
within that time (a token signed by a key not yet seen makes it look at once).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy import or_, select, update

from portico.crypto import SecretBox
from portico.db import Database, utcnow
from portico.errors import InternalError
from portico.oauth.models import SigningKey

ALGORITHM = "ES256"
CACHE_SECONDS = 60.0
MAX_KID_LENGTH = 32


@dataclass(frozen=True, slots=True)
class _Loaded:
    kid: str
    public_key: ec.EllipticCurvePublicKey
    private_key: ec.EllipticCurvePrivateKey | None
    retires_at: datetime | None


def new_signing_key(box: SecretBox) -> SigningKey:
    """A fresh P-256 key pair with its public JWK."""
    private = ec.generate_private_key(ec.SECP256R1())
    kid = secrets.token_hex(8)
    jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": ALGORITHM})
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SigningKey(
        kid=kid,
        algorithm=ALGORITHM,
        public_jwk=jwk,
        private_key_encrypted=box.seal(der),
        created_at=utcnow(),
        retires_at=None,
    )


class Keyring:
    """Signs and verifies access tokens with the keys in the database."""

    def __init__(self, database: Database, box: SecretBox) -> None:
        self._database = database
        self._box = box
        self._keys: dict[str, _Loaded] = {}
        self._published: list[dict[str, Any]] = []
        self._signing_kid: str | None = None
        self._loaded_at = float("-inf")

    async def _load(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._loaded_at < CACHE_SECONDS:
            return
        now = utcnow()
        async with self._database.side_transaction() as session:
            rows = list(
                (
                    await session.execute(
                        select(SigningKey)
                        .where(or_(SigningKey.retires_at.is_(None), SigningKey.retires_at > now))
                        .order_by(SigningKey.created_at.desc(), SigningKey.kid)
                    )
                ).scalars()
            )
        if not rows:
            # The first use anywhere: make one. Two processes racing both make one; both keys
            # are published and valid, and everyone signs with the newest.
            async with self._database.side_transaction() as session:
                session.add(new_signing_key(self._box))
            await self._load(force=True)
            return
        keys: dict[str, _Loaded] = {}
        for row in rows:
            cached = self._keys.get(row.kid)
            private = cached.private_key if cached else self._open(row)
            public = jwt.algorithms.ECAlgorithm.from_jwk(row.public_jwk)
            if not isinstance(public, ec.EllipticCurvePublicKey):  # pragma: no cover
                raise InternalError("a signing key that is not an EC public key")
            keys[row.kid] = _Loaded(row.kid, public, private, row.retires_at)
        self._keys = keys
        self._published = [dict(row.public_jwk) for row in rows]
        current = [row for row in rows if row.retires_at is None]
        self._signing_kid = (current or rows)[0].kid
        self._loaded_at = time.monotonic()

    def _open(self, row: SigningKey) -> ec.EllipticCurvePrivateKey | None:
        der = self._box.open(row.private_key_encrypted)
        if der is None:
            return None
        loaded = serialization.load_der_private_key(der, password=None)
        return loaded if isinstance(loaded, ec.EllipticCurvePrivateKey) else None

    async def sign(self, claims: dict[str, Any]) -> str:
        """`claims` as a JWT signed by the current key (its `kid` in the header)."""
        await self._load()
        key = self._keys.get(self._signing_kid or "")
        if key is None or key.private_key is None:
            raise InternalError("no usable signing key (was PORTICO_ENCRYPTION_KEY changed?)")
        return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})

    async def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token signed by a published key and unexpired, else None."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
            return None
        if header.get("alg") != ALGORITHM:
            return None
        await self._load()
        key = self._keys.get(kid)
        if key is None:
            await self._load(force=True)  # rotated in another process a moment ago?
            key = self._keys.get(kid)
        if key is None or (key.retires_at is not None and key.retires_at <= utcnow()):
            return None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.public_key,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "iat", "sub", "sid"], "verify_aud": False},
            )
        except jwt.PyJWTError:
            return None
        return claims

    async def jwks(self) -> dict[str, Any]:
        """The published keys, as a JSON Web Key Set."""
        await self._load()
        return {"keys": list(self._published)}

    async def rotate(self, *, grace_seconds: int) -> SigningKey:
        """Publish a new signing key; the previous ones stay valid for `grace_seconds`."""
        new = new_signing_key(self._box)
        async with self._database.transaction() as session:
            await session.execute(
                update(SigningKey)
                .where(SigningKey.retires_at.is_(None))
                .values(retires_at=utcnow() + timedelta(seconds=grace_seconds))
            )
            session.add(new)
        self._loaded_at = float("-inf")
        return new
