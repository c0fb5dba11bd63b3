"""Per-account IP whitelist: IPs and CIDRs; enforced on every authenticated request when on.

An empty list restricts nothing ("no restriction yet", as the documents show enabling an empty
list succeed); a list with entries admits only them, and the caller can never save or enable
one that leaves out its own address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from portico.accounts.models import Account
from portico.db import utcnow
from portico.errors import InvalidParameter
from portico.security.errors import WhitelistExcludesCaller

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def normalise(entries: list[str], *, field: str = "ipWhitelist") -> list[str]:
    """Validate and canonicalise entries (`10.0.0.7`, `10.0.0.0/8`, `2001:db8::/32`)."""
    result: list[str] = []
    for entry in entries:
        text = entry.strip()
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise InvalidParameter(field) from None
        canonical = str(network.network_address) if "/" not in text else str(network)
        if canonical not in result:
            result.append(canonical)
    return result


@lru_cache(maxsize=4096)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def allows(entries: list[str], ip: str) -> bool:
    """Whether `ip` may pass: any address when the list is empty."""
    if not entries:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(entries)))


def replace(account: Account, entries: list[str], *, caller_ip: str, field: str) -> None:
    """Replace the list; while enforcement is on, the caller may not lock themself out."""
    normalised = normalise(entries, field=field)
    if account.ip_whitelist_enabled and not allows(normalised, caller_ip):
        raise WhitelistExcludesCaller()
    account.ip_whitelist = normalised
    account.updated_at = utcnow()


def enable(account: Account, *, caller_ip: str) -> None:
    if not allows(list(account.ip_whitelist or []), caller_ip):
        raise WhitelistExcludesCaller()
    account.ip_whitelist_enabled = True
    account.updated_at = utcnow()


def disable(account: Account) -> None:
    account.ip_whitelist_enabled = False
    account.updated_at = utcnow()
