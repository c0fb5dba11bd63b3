"""Account security bodies: MFA, sessions, login history, IP whitelist."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from portico.enums import MfaMethod
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel

Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class MfaMethodStatusOut(WireModel):
    mfa_method: EnumObject[MfaMethod]
    is_enabled: bool
    is_primary: bool
    verified_at: UtcDateTime | None


class OtpSetupOut(WireModel):
    secret: str
    qr_code_uri: str
    issuer: str
    account_name: str


class OtpCodeIn(RequestModel):
    code: Code


class BackupCodesStatusOut(WireModel):
    remaining_count: int
    total_generated: int


class BackupCodesGeneratedOut(WireModel):
    codes: list[str]
    remaining_count: int
    total_generated: int


class SessionOut(WireModel):
    session_id: str
    client_ip: str | None
    user_agent: str | None
    login_time: UtcDateTime
    last_activity_time: UtcDateTime
    is_current: bool


class SessionTerminateIn(RequestModel):
    session_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class TerminatedOut(WireModel):
    success: bool
    terminated_sessions: int


class SessionConfigOut(WireModel):
    account_biz_id: str
    sso_enabled: bool
    max_sessions: int
    password_changed_at: UtcDateTime | None
    last_login_at: UtcDateTime | None
    last_login_ip: str | None


class SessionConfigIn(RequestModel):
    max_concurrent_sessions: Annotated[int, Field(ge=1, le=10)]


class LoginHistoryOut(WireModel):
    biz_id: str
    login_time: UtcDateTime
    client_ip: str | None
    user_agent: str | None
    login_result: int
    failure_reason: str | None


IpEntry = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class IpWhitelistIn(RequestModel):
    """`addresses` (consumer document) or `ips` (partner document): the new list."""

    addresses: Annotated[list[IpEntry], Field(max_length=100)] | None = None
    ips: Annotated[list[IpEntry], Field(max_length=100)] | None = None


class IpWhitelistOut(WireModel):
    enabled: bool
    entries: list[str]
