"""The browser's side of a page session: one sealed, HttpOnly cookie per portal.

The cookie holds the portal API's token pair, the pending sign-in or sign-up session, the
workspace chosen and the CSRF secret, encrypted and authenticated with a key derived from the
server's secret (Fernet; its timestamp bounds the cookie's life). Nothing of it is readable by
the page's scripts, and no token is ever put in a URL or in `localStorage`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.requests import Request
from starlette.responses import Response

from portico.config import Settings
from portico.enums import AccountPortal

CSRF_FIELD = "csrf"


@lru_cache(maxsize=8)
def _fernet(material: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"portico-pages-cookie-v1"
    ).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def cookie_name(portal: AccountPortal) -> str:
    return f"portico_{portal.value.lower()}"


def cookie_path(portal: AccountPortal) -> str:
    return f"/{portal.value.lower()}/"


@dataclass
class PageState:
    """What one browser holds for one portal (the cookie's plaintext)."""

    csrf: str = ""
    access: str | None = None
    refresh: str | None = None
    access_expires: float = 0.0
    email: str | None = None
    workspace: str | None = None
    pending_login: str | None = None
    pending_methods: list[str] = field(default_factory=list)
    pending_register: str | None = None
    reset_token: str | None = None
    flash: list[str] = field(default_factory=list)
    changed: bool = False

    @property
    def signed_in(self) -> bool:
        return self.access is not None

    def sign_out(self) -> None:
        self.access = self.refresh = self.email = self.workspace = None
        self.access_expires = 0.0
        self.changed = True

    def add_flash(self, text: str) -> None:
        self.flash.append(text)
        self.changed = True

    def take_flash(self) -> list[str]:
        messages, self.flash = self.flash, []
        if messages:
            self.changed = True
        return messages

    def to_json(self) -> bytes:
        values = {k: v for k, v in self.__dict__.items() if k != "changed"}
        return json.dumps(values, separators=(",", ":")).encode()


class CookieJar:
    """Reads and writes the sealed state cookie of a portal."""

    def __init__(self, settings: Settings) -> None:
        self._fernet = _fernet(settings.resolved_secret_key)
        self._mac_key = hashlib.sha256(
            b"portico-pages-csrf-v1" + settings.resolved_secret_key.encode()
        ).digest()
        self.max_age = settings.refresh_token_ttl_seconds
        self.always_secure = settings.public_base_url.startswith("https://")

    def read(self, request: Request, portal: AccountPortal) -> PageState:
        sealed = request.cookies.get(cookie_name(portal))
        if sealed:
            try:
                values: dict[str, Any] = json.loads(
                    self._fernet.decrypt(sealed.encode(), ttl=self.max_age)
                )
                known = {k: v for k, v in values.items() if k in PageState.__dataclass_fields__}
                return PageState(**known)
            except (InvalidToken, ValueError, TypeError):
                pass
        return PageState(csrf=secrets.token_urlsafe(32), changed=True)

    def write(
        self, request: Request, response: Response, portal: AccountPortal, state: PageState
    ) -> None:
        if not state.changed:
            return
        response.set_cookie(
            cookie_name(portal),
            self._fernet.encrypt(state.to_json()).decode(),
            path=cookie_path(portal),
            httponly=True,
            secure=self.always_secure or request.url.scheme == "https",
            samesite="lax",
        )

    def csrf_token(self, state: PageState) -> str:
        """The value every form sends back: a MAC of the cookie's secret (the secret itself
        never appears in a page)."""
        return hmac.new(self._mac_key, state.csrf.encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, state: PageState, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf_token(state), presented or "")
