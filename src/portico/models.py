"""Every model module, imported so `Base.metadata` is complete (Alembic, tests)."""

from portico.accounts.models import Account
from portico.api_keys.models import ApiKey
from portico.auth.models import LoginChallenge, PasswordResetToken, ThrottleCounter
from portico.db import Base
from portico.exchanges.models import Exchange, ExchangeQuote, FxRate
from portico.exports.models import Export
from portico.files.models import StoredFile
from portico.idempotency.models import IdempotencyRecord
from portico.institutions.models import Institution, PortalAccessCode
from portico.invitations.models import Invitation
from portico.issuer.models import AuditEvent, ConsumerOperation
from portico.ledger.models import LedgerEntry, LedgerPosting
from portico.money import Currency
from portico.oauth.models import IssuerClient, OAuthRefreshToken, SigningKey, TokenFamily
from portico.onboarding.models import KycProfile, Subscription
from portico.recharges.models import Recharge, RechargeChannel
from portico.referrals.models import Referral, ReferralCode
from portico.rel.models import (
    RelAddress,
    RelContact,
    RelContactVersion,
    RelOrganisation,
    RelOrganisationVersion,
    RelPhoneNumber,
)
from portico.securechannel.models import ChannelKey, ChannelSession
from portico.security.models import (
    AuthSession,
    BackupCode,
    LoginHistory,
    MfaEnrollment,
    RefreshToken,
)
from portico.transfers.models import TransferOrder
from portico.wallets.models import Wallet
from portico.withdrawals.models import Withdrawal, WithdrawalChannel
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole

__all__ = [
    "Account",
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "BackupCode",
    "Base",
    "ChannelKey",
    "ChannelSession",
    "ConsumerOperation",
    "Currency",
    "Exchange",
    "ExchangeQuote",
    "Export",
    "FxRate",
    "IdempotencyRecord",
    "Institution",
    "Invitation",
    "IssuerClient",
    "KycProfile",
    "LedgerEntry",
    "LedgerPosting",
    "LoginChallenge",
    "LoginHistory",
    "MfaEnrollment",
    "OAuthRefreshToken",
    "PasswordResetToken",
    "PortalAccessCode",
    "Recharge",
    "RechargeChannel",
    "Referral",
    "ReferralCode",
    "RefreshToken",
    "RelAddress",
    "RelContact",
    "RelContactVersion",
    "RelOrganisation",
    "RelOrganisationVersion",
    "RelPhoneNumber",
    "SigningKey",
    "StoredFile",
    "Subscription",
    "ThrottleCounter",
    "TokenFamily",
    "TransferOrder",
    "Wallet",
    "Withdrawal",
    "WithdrawalChannel",
    "Workspace",
    "WorkspaceMember",
    "WorkspaceRole",
]
