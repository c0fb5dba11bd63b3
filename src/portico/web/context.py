"""Who is calling: the portal (from the access code) and the client (IP, agent, device)."""

from __future__ import annotations

import ipaddress
import time
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.types import Scope

from portico.caller import ClientInfo, PortalContext
from portico.config import Settings
from portico.deps import SessionDep, SettingsDep
from portico.enums import AccountPortal
from portico.errors import PortalCodeInvalid, raises
from portico.institutions.service import AccessCode, find_enabled_code
from portico.runtime import runtime_of

PORTAL_PREFIXES: dict[AccountPortal, str] = {
    AccountPortal.CONSUMER: "/web/v1/consumer",
    AccountPortal.PARTNER: "/web/v1/partner",
}


def route_path(scope: Scope) -> str:
    """The path the routes match: `scope["path"]` without the `root_path` the app is mounted at
    (ASGI puts the root path in front of the path; `/api` does not prefix `/apis/...`)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    rest = path[len(root_path) :]
    return rest if rest == "" or rest.startswith("/") else path


def portal_of_path(path: str) -> AccountPortal | None:
    for portal, prefix in PORTAL_PREFIXES.items():
        if path.startswith(prefix + "/"):
            return portal
    return None


# Valid access codes are remembered by the app (one per process) for a few seconds: the lookup
# is on every request, and a disabled code stops working within CODE_CACHE_SECONDS. Unknown
# codes are never cached.
CODE_CACHE_SECONDS = 5.0
CODE_CACHE_SIZE = 1024


@raises(PortalCodeInvalid)
async def get_portal_context(
    request: Request,
    session: SessionDep,
    x_portal_access_code: Annotated[
        str | None, Header(description="Portal access code (`pac_…`)")
    ] = None,
) -> PortalContext:
    """Resolve `X-PORTAL-ACCESS-CODE` to the institution; it must belong to this portal."""
    portal = portal_of_path(route_path(request.scope))
    if portal is None or not x_portal_access_code or len(x_portal_access_code) > 100:
        raise PortalCodeInvalid()
    cache = runtime_of(request.app).portal_codes
    cached = cache.get(x_portal_access_code)
    now = time.monotonic()
    if cached is None or cached[0] < now:
        found = await find_enabled_code(session, x_portal_access_code)
        if found is None:
            raise PortalCodeInvalid()
        if len(cache) >= CODE_CACHE_SIZE:
            cache.clear()
        cached = (now + CODE_CACHE_SECONDS, found)
        cache[x_portal_access_code] = cached
    code: AccessCode = cached[1]
    if code.portal != portal:
        raise PortalCodeInvalid()
    return PortalContext(
        portal=portal,
        institution_id=code.institution_id,
        institution_biz_id=code.institution_biz_id,
    )


PortalDep = Annotated[PortalContext, Depends(get_portal_context)]


@lru_cache(maxsize=16)
def _networks(
    entries: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def client_ip(request: Request, settings: Settings) -> str:
    """`CF-Connecting-IP` when the peer is a trusted proxy, else the socket address."""
    peer = request.client.host if request.client else "0.0.0.0"  # noqa: S104
    forwarded = request.headers.get("cf-connecting-ip")
    if not forwarded:
        return peer
    try:
        peer_address = ipaddress.ip_address(peer)
        forwarded_address = ipaddress.ip_address(forwarded.strip())
    except ValueError:
        return peer
    if any(peer_address in network for network in _networks(tuple(settings.trusted_proxies))):
        return str(forwarded_address)
    return peer


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


async def get_client_info(request: Request, settings: SettingsDep) -> ClientInfo:
    headers = request.headers
    return ClientInfo(
        ip=client_ip(request, settings),
        user_agent=_clip(headers.get("user-agent"), 512),
        client_hash=_clip(headers.get("x-client-hash"), 256),
        country=_clip(headers.get("cf-ipcountry"), 8),
        locale=_clip(headers.get("x-locale"), 32),
    )


ClientDep = Annotated[ClientInfo, Depends(get_client_info)]
