"""Cloudflare Turnstile verification: off unless a secret is configured."""

from __future__ import annotations

import logging

import httpx

from portico.auth.errors import CaptchaInvalid
from portico.config import Settings

logger = logging.getLogger("portico.turnstile")


async def verify_turnstile(settings: Settings, token: str | None, remote_ip: str) -> None:
    """Raise `CaptchaInvalid` unless the verify endpoint accepts the token (fails closed)."""
    if not settings.turnstile_secret:
        return
    if not token or len(token) > 2048:
        raise CaptchaInvalid()
    try:
        async with httpx.AsyncClient(timeout=settings.turnstile_timeout_seconds) as client:
            response = await client.post(
                settings.turnstile_verify_url,
                data={
                    "secret": settings.turnstile_secret,
                    "response": token,
                    "remoteip": remote_ip,
                },
            )
        verdict = response.json() if response.is_success else None
    except (httpx.HTTPError, ValueError):
        logger.warning("turnstile verification unavailable; refusing the request")
        raise CaptchaInvalid() from None
    if not isinstance(verdict, dict) or verdict.get("success") is not True:
        raise CaptchaInvalid()
