"""A consumer as one partner sees it, and the outcome of onboarding one (the onboarding
service's results, which the wire schemas render)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portico.accounts.models import Account
from portico.enums import AccountStatus
from portico.onboarding.models import ComplianceStatus, KycProfile, Subscription


class Standing(StrEnum):
    """How a customer looked up for a partner stands (the route answers each with the
    onboarding document's case)."""

    FOUND = "FOUND"  # subscribed to the partner, signed in since (or found by its customerId)
    PENDING = "PENDING"  # subscribed, not signed in yet
    NOT_FOUND = "NOT_FOUND"  # no such customer, or not the partner's
    NOT_SUBSCRIBED = "NOT_SUBSCRIBED"  # by customerId: the customer, not subscribed to it
    UNDER_INVESTIGATION = "UNDER_INVESTIGATION"
    BLOCKED = "BLOCKED"


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
