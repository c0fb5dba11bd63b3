"""The scopes an issuer client can hold (`issuer:<resource>:<access>`, and `rel:contacts:*`
for the customer data store); API keys carry their workspace permission codes (`wallet:read`,
...) as scopes instead."""

from __future__ import annotations

from collections.abc import Iterable

ISSUER_SCOPES: tuple[str, ...] = (
    "issuer:consumers:read",
    "issuer:consumers:write",
    "issuer:recharges:read",
    "issuer:recharges:write",
    "issuer:withdrawals:read",
    "issuer:withdrawals:write",
    "issuer:fx:read",
    "issuer:fx:write",
    "issuer:channels:read",
    "issuer:channels:write",
    "issuer:partners:read",
    "issuer:partners:write",
    "issuer:audit:read",
    # The customer data store (`/issuers/{issuerId}/rel/...`), named as Afosto's `rel` scopes:
    # contacts, organisations, addresses and phone numbers.
    "rel:contacts:read",
    "rel:contacts:write",
)


def parse(text: str) -> list[str]:
    """A space-delimited `scope` parameter as a list without repeats (RFC 6749 §3.3)."""
    result: list[str] = []
    for item in text.split(" "):
        if item and item not in result:
            result.append(item)
    return result


def ordered(granted: Iterable[str], order: Iterable[str]) -> list[str]:
    """`granted` in the order of `order` (the catalogue), then any others as they came."""
    wanted = list(dict.fromkeys(granted))
    known = [scope for scope in order if scope in wanted]
    return known + [scope for scope in wanted if scope not in known]
