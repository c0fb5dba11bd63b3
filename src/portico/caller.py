"""Who is calling, as the services see it: the portal and its institution, and the client.

`web.context` resolves both for a request (`PortalDep`, `ClientDep`)."""

from __future__ import annotations

from dataclasses import dataclass

from portico.enums import AccountPortal


@dataclass(frozen=True, slots=True)
class PortalContext:
    portal: AccountPortal
    institution_id: int
    institution_biz_id: str


@dataclass(frozen=True, slots=True)
class ClientInfo:
    ip: str
    user_agent: str | None
    client_hash: str | None
    country: str | None
    locale: str | None
