"""API key bodies: the key as listed, the key as created (with its secret), and requests."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from portico.api_keys.models import ApiKey
from portico.envelope import RequestModel, UtcDateTime, WireModel
from portico.workspaces.permissions import PermissionCodeIn

MAX_IP_ENTRIES = 50

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
IpEntry = Annotated[str, StringConstraints(min_length=1, max_length=64)]
KeyId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ApiKeyOut(WireModel):
    """A key as listed and read back: never its secret; `permissions` are its scopes."""

    api_key_id: str
    name: str
    status: str
    mode: str
    permissions: list[str]
    ip_whitelist: list[str]
    created_at: UtcDateTime
    last_used_at: UtcDateTime | None
    created_by: str

    @classmethod
    def from_row(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            api_key_id=key.key_id,
            name=key.name,
            status=key.status,
            mode=key.mode,
            permissions=list(key.scopes or []),
            ip_whitelist=list(key.ip_whitelist or []),
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            created_by=key.created_by,
        )


class ApiKeyCreatedOut(WireModel):
    """A new key with its secret, shown this once."""

    api_key_id: str
    secret: str
    name: str
    status: str
    mode: str
    scopes: list[str]
    ip_whitelist: list[str]
    created_at: UtcDateTime

    @classmethod
    def from_row(cls, key: ApiKey, secret: str) -> ApiKeyCreatedOut:
        return cls(
            api_key_id=key.key_id,
            secret=secret,
            name=key.name,
            status=key.status,
            mode=key.mode,
            scopes=list(key.scopes or []),
            ip_whitelist=list(key.ip_whitelist or []),
            created_at=key.created_at,
        )


class ApiKeyCreateIn(RequestModel):
    name: Name
    scopes: Annotated[list[PermissionCodeIn], Field(min_length=1, max_length=100)]
    ip_whitelist: Annotated[list[IpEntry] | None, Field(max_length=MAX_IP_ENTRIES)] = None


class ApiKeyIdIn(RequestModel):
    api_key_id: KeyId
