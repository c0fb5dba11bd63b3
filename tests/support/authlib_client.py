"""Authlib's OAuth2 client for httpx, pointed at the app in-process (or a live server).

Authlib says, once at import, that it would rather use its `httpx2` fork (not installed: it
falls back to httpx) and forces that warning on; it is imported here with it silenced."""

from __future__ import annotations

import warnings
from typing import Any

import httpx

with warnings.catch_warnings():
    # authlib.deprecate installs its "always" filter on import; ours then goes in front of it
    import authlib.deprecate  # noqa: F401

    warnings.simplefilter("ignore")
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.httpx_client import AsyncOAuth2Client

__all__ = ["AsyncOAuth2Client", "OAuthError", "oauth_client"]


def oauth_client(app: Any, client_id: str, secret: str, **kw: Any) -> AsyncOAuth2Client:
    """An Authlib client of the app over ASGI (base URL http://portico.test)."""
    return AsyncOAuth2Client(
        client_id,
        secret,
        transport=httpx.ASGITransport(app=app),
        base_url="http://portico.test",
        **kw,
    )
