"""Access tokens (JWT bound to a session row), opaque refresh tokens, code and token digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from portico.db import utcnow


@dataclass(frozen=True, slots=True)
class AccessClaims:
    account_biz_id: str
    session_biz_id: str
    portal: str
    institution_biz_id: str


CHECKED_TOKENS = 4096


class TokenService:
    """Signs and checks access tokens; digests secrets that are stored."""

    algorithm = "HS256"

    def __init__(self, secret: str, *, issuer: str, access_ttl_seconds: int) -> None:
        self._secret = secret.encode()
        self.issuer = issuer
        self.access_ttl_seconds = access_ttl_seconds
        # Tokens already checked, with their expiry: checking the signature again gives the same
        # answer, so a token is verified once per process (the session row is still read on
        # every request). Bounded: emptied when full.
        self._checked: dict[str, tuple[int, AccessClaims]] = {}

    def issue_access_token(self, claims: AccessClaims, *, now: datetime | None = None) -> str:
        issued = now or utcnow()
        payload = {
            "iss": self.issuer,
            "sub": claims.account_biz_id,
            "sid": claims.session_biz_id,
            "prt": claims.portal,
            "ins": claims.institution_biz_id,
            "iat": int(issued.timestamp()),
            "exp": int((issued + timedelta(seconds=self.access_ttl_seconds)).timestamp()),
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(payload, self._secret, algorithm=self.algorithm)

    def read_access_token(self, token: str) -> AccessClaims | None:
        """The claims of a valid, unexpired token of ours, or None."""
        checked = self._checked.get(token)
        if checked is not None:
            if time.time() < checked[0]:
                return checked[1]
            del self._checked[token]
            return None
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[self.algorithm],
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "sid"]},
            )
            claims = AccessClaims(
                account_biz_id=str(payload["sub"]),
                session_biz_id=str(payload["sid"]),
                portal=str(payload["prt"]),
                institution_biz_id=str(payload["ins"]),
            )
            expires = int(payload["exp"])
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):
            return None
        if len(self._checked) >= CHECKED_TOKENS:
            self._checked.clear()
        self._checked[token] = (expires, claims)
        return claims

    def digest(self, value: str) -> str:
        """A keyed digest for stored secrets (refresh tokens, reset tokens, email codes)."""
        return hmac.new(self._secret, value.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def same(a: str, b: str) -> bool:
        """Timing-safe comparison."""
        return hmac.compare_digest(a.encode(), b.encode())


def new_email_code() -> str:
    """Six random digits."""
    return f"{secrets.randbelow(1_000_000):06d}"
