"""Brute-force limits: failure counters shared by every API process through the database.

An attempt is *reserved* (the counter incremented and committed in its own short transaction)
before the password or code is checked, so N parallel attempts can never all be evaluated: at
most `limit` of them get past `reserve`. A success gives its reservation back inside the
request's transaction.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import case, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from portico.auth.models import ThrottleCounter
from portico.db import Database, utcnow


def account_key(institution_id: int, portal: str, email: str) -> str:
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"acct:{institution_id}:{portal}:{digest}"


def mfa_key(institution_id: int, portal: str, email: str) -> str:
    """Wrong codes: counted apart, so a right password cannot wipe them; a completed login can."""
    return "mfa:" + account_key(institution_id, portal, email)


def ip_key(scope: str, ip: str) -> str:
    return f"ip:{scope}:{ip}"


def email_key(scope: str, institution_id: int, email: str) -> str:
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"mail:{scope}:{institution_id}:{digest}"


async def reserve(database: Database, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt against `key`; False when the limit is already used up."""
    now = utcnow()
    expires = now + timedelta(seconds=window_seconds)
    insert = sqlite.insert if database.is_sqlite else postgresql.insert
    counter = ThrottleCounter
    expired = counter.window_expires_at <= now
    statement = (
        insert(counter)
        .values(key=key, count=1, window_expires_at=expires)
        .on_conflict_do_update(
            index_elements=[counter.key],
            set_={
                "count": case((expired, 1), else_=counter.count + 1),
                "window_expires_at": case((expired, expires), else_=counter.window_expires_at),
            },
        )
        .returning(counter.count)
    )
    async with database.side_transaction() as session:
        count = (await session.execute(statement)).scalar_one()
    return int(count) <= limit


async def exhausted(database: Database, key: str, *, limit: int) -> bool:
    """True when `key` has used up its attempts in the current window (nothing is counted)."""
    async with database.side_transaction() as session:
        row = await session.get(ThrottleCounter, key)
    return row is not None and row.window_expires_at > utcnow() and row.count >= limit


async def clear(session: AsyncSession, key: str) -> None:
    """Forget the failures counted against `key` (a successful sign-in)."""
    await session.execute(update(ThrottleCounter).where(ThrottleCounter.key == key).values(count=0))


async def give_back(session: AsyncSession, key: str) -> None:
    """Return one reserved attempt (the attempt succeeded)."""
    await session.execute(
        update(ThrottleCounter)
        .where(ThrottleCounter.key == key, ThrottleCounter.count > 0)
        .values(count=ThrottleCounter.count - 1)
    )
