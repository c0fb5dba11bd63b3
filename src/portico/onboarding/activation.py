"""A subscription becomes ACTIVE once its customer has signed in (called by the login)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import affected_rows, utcnow
from portico.onboarding.models import Subscription, SubscriptionStatus


async def activate_subscriptions(session: AsyncSession, *, account_id: int) -> int:
    """The customer signed in: its PENDING subscriptions become ACTIVE."""
    result = await session.execute(
        update(Subscription)
        .where(
            Subscription.account_id == account_id,
            Subscription.status == SubscriptionStatus.PENDING,
        )
        .values(status=SubscriptionStatus.ACTIVE, activated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result)
