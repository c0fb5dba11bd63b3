"""Auth request and response bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from portico.email_address import EmailAddress
from portico.enums import AccountStatus, MfaMethod
from portico.envelope import EnumObject, RequestModel, WireModel

# Any password may be *presented* (bounded, so hashing cannot be abused); new ones follow policy.
PresentedPassword = Annotated[str, StringConstraints(min_length=1, max_length=256)]
NewPassword = Annotated[str, StringConstraints(min_length=8, max_length=128)]
Opaque = Annotated[str, StringConstraints(min_length=1, max_length=256)]
TurnstileToken = Annotated[str, StringConstraints(max_length=2048)]


class LoginInitiateIn(RequestModel):
    email: EmailAddress
    password: PresentedPassword
    turnstile_token: TurnstileToken | None = None


class LoginInitiateOut(WireModel):
    session_id: str
    mfa_methods: list[EnumObject[MfaMethod]]
    expires_in: int
    account_status: EnumObject[AccountStatus] | None
    pending_approval: bool


class LoginVerifyIn(RequestModel):
    session_id: Opaque
    mfa_method: Annotated[str, StringConstraints(min_length=1, max_length=32)] = "EMAIL"
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class LoginResendIn(RequestModel):
    session_id: Opaque


class TokenPairOut(WireModel):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


class RefreshIn(RequestModel):
    refresh_token: Opaque


class RefreshOut(WireModel):
    access_token: str
    refresh_token: str
    expires_in: int


class RegisterInitiateIn(RequestModel):
    email: EmailAddress
    password: NewPassword
    account_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = None
    turnstile_token: TurnstileToken | None = None
    referral_code: Annotated[str, StringConstraints(max_length=64)] | None = None


class RegisterVerifyIn(RequestModel):
    session_id: Opaque
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class LogoutOut(WireModel):
    success: bool
    terminated_sessions: int


class PasswordForgotIn(RequestModel):
    email: EmailAddress
    turnstile_token: TurnstileToken | None = None


class PasswordForgotOut(WireModel):
    success: bool
    message: str


class PasswordResetIn(RequestModel):
    token: Opaque
    new_password: NewPassword


class PasswordChangeIn(RequestModel):
    current_password: PresentedPassword
    new_password: NewPassword
