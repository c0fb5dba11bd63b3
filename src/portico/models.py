"""Every model module, imported so `Base.metadata` is complete (Alembic, tests)."""

from portico.accounts.models import Account
from portico.api_keys.models import ApiKey
from portico.auth.models import (
    AuthSession,
    BackupCode,
    LoginChallenge,
    LoginHistory,
    MfaEnrollment,
    PasswordResetToken,
    RefreshToken,
    ThrottleCounter,
)
from portico.db import Base
from portico.institutions.models import Institution, PortalAccessCode
from portico.invitations.models import Invitation
from portico.securechannel.models import ChannelKey, ChannelSession
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole

__all__ = [
    "Account",
    "ApiKey",
    "AuthSession",
    "BackupCode",
    "Base",
    "ChannelKey",
    "ChannelSession",
    "Institution",
    "Invitation",
    "LoginChallenge",
    "LoginHistory",
    "MfaEnrollment",
    "PasswordResetToken",
    "PortalAccessCode",
    "RefreshToken",
    "ThrottleCounter",
    "Workspace",
    "WorkspaceMember",
    "WorkspaceRole",
]
