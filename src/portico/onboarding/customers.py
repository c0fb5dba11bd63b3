"""A consumer as one partner sees it, and the outcome of onboarding one (the onboarding
service's results, which the wire schemas render)."""

from __future__ import annotations

from dataclasses import dataclass

from portico.accounts.models import Account
from portico.enums import AccountStatus
from portico.onboarding.models import ComplianceStatus, KycProfile, Subscription


@dataclass(frozen=True, slots=True)
class Customer:
    """A consumer as one partner sees it: its KYC profile, account and subscription."""

    profile: KycProfile
    account: Account
    subscription: Subscription

    @property
    def status(self) -> str:
        """ACTIVE, SUSPENDED, or the compliance flag (UNDER_INVESTIGATION, BLOCKED)."""
        if self.profile.compliance_status != ComplianceStatus.NONE:
            return str(self.profile.compliance_status)
        if self.account.status == AccountStatus.SUSPENDED:
            return "SUSPENDED"
        return "ACTIVE"


@dataclass(frozen=True, slots=True)
class Onboarded:
    customer: Customer
    created: bool
    activation_mail_sent: bool
