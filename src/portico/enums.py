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
    REJECTED = "REJECTED"


class WorkspaceStatus(WireEnum):
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"


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


class WalletType(WireEnum):
    STANDARD = "STANDARD"


class WalletStatus(WireEnum):
    ACTIVE = "ACTIVE"
    FROZEN = "FROZEN"
    CLOSED = "CLOSED"


class FlowDirection(WireEnum):
    IN = "IN"
    OUT = "OUT"


class FlowBizType(WireEnum):
    RECHARGE = "RECHARGE"
    WITHDRAWAL = "WITHDRAWAL"
    TRANSFER_IN = "TRANSFER_IN"
    TRANSFER_OUT = "TRANSFER_OUT"
    EXCHANGE = "EXCHANGE"
    FEE = "FEE"
    ADJUSTMENT = "ADJUSTMENT"


class TransferStatus(WireEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class ExchangeStatus(WireEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class RechargeStatus(WireEnum):
    PENDING = "PENDING"
    UNDER_REVIEW = "UNDER_REVIEW"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class WithdrawalStatus(WireEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class ExportStatus(WireEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class ChannelType(WireEnum):
    BANK_TRANSFER = "BANK_TRANSFER"
    CRYPTO = "CRYPTO"


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
    ("AccountStatus", "REJECTED"): EnumInfo(
        10010205, "Rejected", "Partner account was not approved by the issuer"
    ),
    ("WorkspaceStatus", "ACTIVE"): EnumInfo(
        10010304, "Active", "Workspace is active and tenant verified"
    ),
    ("WorkspaceStatus", "CLOSED"): EnumInfo(
        10010305, "Closed", "Workspace was closed with its owner's deletion"
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
    # 1006: money (new ranges; the documents show none of these values)
    ("WalletType", "STANDARD"): EnumInfo(10060101, "Standard", "Workspace wallet of one currency"),
    ("WalletStatus", "ACTIVE"): EnumInfo(10060201, "Active", "Wallet can send and receive funds"),
    ("WalletStatus", "FROZEN"): EnumInfo(10060202, "Frozen", "Wallet is frozen by the issuer"),
    ("WalletStatus", "CLOSED"): EnumInfo(
        10060203, "Closed", "Wallet was closed with its owner's deletion"
    ),
    ("FlowDirection", "IN"): EnumInfo(10060301, "In", "Funds credited to the wallet"),
    ("FlowDirection", "OUT"): EnumInfo(10060302, "Out", "Funds debited from the wallet"),
    ("FlowBizType", "RECHARGE"): EnumInfo(10060401, "Recharge", "Deposit credited to the wallet"),
    ("FlowBizType", "WITHDRAWAL"): EnumInfo(
        10060402, "Withdrawal", "Withdrawal frozen, paid out or released"
    ),
    ("FlowBizType", "TRANSFER_IN"): EnumInfo(10060403, "Transfer In", "Transfer received"),
    ("FlowBizType", "TRANSFER_OUT"): EnumInfo(10060404, "Transfer Out", "Transfer sent"),
    ("FlowBizType", "EXCHANGE"): EnumInfo(10060405, "Exchange", "Currency exchange"),
    ("FlowBizType", "FEE"): EnumInfo(10060406, "Fee", "Fee charged"),
    ("FlowBizType", "ADJUSTMENT"): EnumInfo(10060407, "Adjustment", "Balance adjustment"),
    ("TransferStatus", "PENDING"): EnumInfo(10060501, "Pending", "Transfer is being processed"),
    ("TransferStatus", "COMPLETED"): EnumInfo(10060502, "Completed", "Transfer completed"),
    ("TransferStatus", "FAILED"): EnumInfo(10060503, "Failed", "Transfer failed"),
    ("ExchangeStatus", "PENDING"): EnumInfo(10060601, "Pending", "Exchange is being processed"),
    ("ExchangeStatus", "COMPLETED"): EnumInfo(10060602, "Completed", "Exchange completed"),
    ("ExchangeStatus", "FAILED"): EnumInfo(10060603, "Failed", "Exchange failed"),
    ("RechargeStatus", "PENDING"): EnumInfo(
        10060701, "Pending", "Recharge awaits payment or proof"
    ),
    ("RechargeStatus", "UNDER_REVIEW"): EnumInfo(
        10060702, "Under Review", "Proof received; the issuer is reviewing it"
    ),
    ("RechargeStatus", "COMPLETED"): EnumInfo(10060703, "Completed", "Wallet credited"),
    ("RechargeStatus", "REJECTED"): EnumInfo(10060704, "Rejected", "Rejected by the issuer"),
    ("RechargeStatus", "CANCELLED"): EnumInfo(10060705, "Cancelled", "Cancelled by the user"),
    ("WithdrawalStatus", "PENDING"): EnumInfo(
        10060801, "Pending", "Amount frozen; awaiting the issuer"
    ),
    ("WithdrawalStatus", "COMPLETED"): EnumInfo(10060802, "Completed", "Paid out"),
    ("WithdrawalStatus", "REJECTED"): EnumInfo(
        10060803, "Rejected", "Rejected by the issuer; funds released"
    ),
    ("WithdrawalStatus", "CANCELLED"): EnumInfo(
        10060804, "Cancelled", "Cancelled by the user; funds released"
    ),
    ("ChannelType", "BANK_TRANSFER"): EnumInfo(10060901, "Bank Transfer", "Bank account"),
    ("ChannelType", "CRYPTO"): EnumInfo(10060902, "Crypto", "Blockchain address"),
    # 1007: files and exports
    ("ExportStatus", "PENDING"): EnumInfo(10070101, "Pending", "Export is waiting for a worker"),
    ("ExportStatus", "PROCESSING"): EnumInfo(
        10070102, "Processing", "Export file is being written"
    ),
    ("ExportStatus", "COMPLETED"): EnumInfo(
        10070103, "Completed", "Export file is ready to download until it expires"
    ),
    ("ExportStatus", "FAILED"): EnumInfo(10070104, "Failed", "Export could not be produced"),
}
