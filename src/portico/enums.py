"""Every enum object on the wire, in one place: `{"code","value","label","description"}`.

Values follow the documented `GGGGTTNN` numbering; documented values are kept exactly and new
ones continue their type's range.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class EnumInfo:
    value: int
    label: str
    description: str


class WireEnum(StrEnum):
    """A string enum stored by its code and emitted as the documented enum object."""

    @property
    def info(self) -> EnumInfo:
        return _INFO[(type(self).__name__, self.value)]

    def to_wire(self) -> dict[str, Any]:
        info = self.info
        return {
            "code": self.value,
            "value": info.value,
            "label": info.label,
            "description": info.description,
        }


class AccountPortal(WireEnum):
    PARTNER = "PARTNER"
    CONSUMER = "CONSUMER"


class AccountStatus(WireEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    DELETED = "DELETED"


class WorkspaceStatus(WireEnum):
    ACTIVE = "ACTIVE"


class RoleType(WireEnum):
    OWNER = "OWNER"
    CUSTOM = "CUSTOM"


class MfaMethod(WireEnum):
    EMAIL = "EMAIL"
    TOTP = "TOTP"
    BACKUP_CODE = "BACKUP_CODE"


class WorkspaceKind(WireEnum):
    LIVE = "LIVE"
    SANDBOX = "SANDBOX"


class JoinSource(WireEnum):
    REGISTRATION = "REGISTRATION"
    INVITATION = "INVITATION"
    CREATION = "CREATION"


class InvitationStatus(WireEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


_INFO: dict[tuple[str, str], EnumInfo] = {
    ("AccountPortal", "PARTNER"): EnumInfo(
        10010103, "Partner Portal", "Partner portal for channel partners"
    ),
    ("AccountPortal", "CONSUMER"): EnumInfo(
        10010104, "Consumer Portal", "Consumer portal for end users"
    ),
    ("AccountStatus", "PENDING"): EnumInfo(10010201, "Pending", "Account is awaiting activation"),
    ("AccountStatus", "ACTIVE"): EnumInfo(10010202, "Active", "Account is active and usable"),
    ("AccountStatus", "SUSPENDED"): EnumInfo(
        10010203, "Suspended", "Account is suspended by the issuer"
    ),
    ("AccountStatus", "DELETED"): EnumInfo(10010204, "Deleted", "Account has been deleted"),
    ("WorkspaceStatus", "ACTIVE"): EnumInfo(
        10010304, "Active", "Workspace is active and tenant verified"
    ),
    ("RoleType", "OWNER"): EnumInfo(10010901, "Owner", "Built-in owner role"),
    ("RoleType", "CUSTOM"): EnumInfo(10010902, "Custom", "Custom defined role"),
    ("MfaMethod", "EMAIL"): EnumInfo(10011001, "Email", "Email verification code"),
    ("MfaMethod", "TOTP"): EnumInfo(10011002, "Authenticator App", "Time-based one-time password"),
    ("MfaMethod", "BACKUP_CODE"): EnumInfo(10011005, "Backup Code", "Recovery backup codes"),
    ("WorkspaceKind", "LIVE"): EnumInfo(
        10050101, "Live", "Primary workspace for production business operations"
    ),
    ("WorkspaceKind", "SANDBOX"): EnumInfo(
        10050102, "Sandbox", "Test workspace with simulated balances"
    ),
    ("JoinSource", "REGISTRATION"): EnumInfo(
        10050201, "Registration", "Joined through self-registration"
    ),
    ("JoinSource", "INVITATION"): EnumInfo(
        10050202, "Invitation", "Joined by accepting an invitation"
    ),
    ("JoinSource", "CREATION"): EnumInfo(10050203, "Creation", "Created the workspace"),
    ("InvitationStatus", "PENDING"): EnumInfo(
        10050301, "Pending", "Invitation is waiting for an answer"
    ),
    ("InvitationStatus", "ACCEPTED"): EnumInfo(10050302, "Accepted", "Invitation was accepted"),
    ("InvitationStatus", "DECLINED"): EnumInfo(10050303, "Declined", "Invitation was declined"),
    ("InvitationStatus", "CANCELLED"): EnumInfo(
        10050304, "Cancelled", "Invitation was cancelled by the workspace"
    ),
    ("InvitationStatus", "EXPIRED"): EnumInfo(10050305, "Expired", "Invitation expired unanswered"),
}
