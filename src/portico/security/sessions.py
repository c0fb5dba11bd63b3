"""The signed-in sessions of an account, its session limit and its login history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.auth.models import AuthSession, LoginHistory
from portico.auth.sessions import session_ended
from portico.db import affected_rows, lock_row, utcnow
from portico.errors import InvalidParameter


async def live_sessions(session: AsyncSession, *, account_id: int) -> Sequence[AuthSession]:
    """Unrevoked, unexpired sessions, newest first."""
    return (
        (
            await session.execute(
                select(AuthSession)
                .where(
                    AuthSession.account_id == account_id,
                    AuthSession.revoked_at.is_(None),
                    AuthSession.expires_at > utcnow(),
                )
                .order_by(AuthSession.login_time.desc(), AuthSession.id.desc())
            )
        )
        .scalars()
        .all()
    )


async def terminate_session(session: AsyncSession, *, account_id: int, session_biz_id: str) -> None:
    """End one of the caller's sessions; another account's or an unknown id is a bad parameter."""
    result = await session.execute(
        update(AuthSession)
        .where(
            AuthSession.biz_id == session_biz_id,
            AuthSession.account_id == account_id,
            AuthSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow(), revoke_reason="TERMINATED")
    )
    if affected_rows(result) != 1:
        raise InvalidParameter("sessionId")
    await session_ended(session, account_id=account_id, reason="TERMINATED", count=1)


async def set_session_limit(
    session: AsyncSession, *, account: Account, limit: int, current_session_id: int
) -> None:
    """Apply a new limit; the oldest sessions beyond it (never the caller's) are ended."""
    await lock_row(session, Account, account.id)
    account.max_sessions = limit
    account.updated_at = utcnow()
    others = [
        s.id
        for s in await live_sessions(session, account_id=account.id)
        if s.id != current_session_id
    ]
    evicted = others[max(limit - 1, 0) :]
    if evicted:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id.in_(evicted))
            .values(revoked_at=utcnow(), revoke_reason="EVICTED")
        )
        await session_ended(session, account_id=account.id, reason="EVICTED", count=len(evicted))


async def login_history(
    session: AsyncSession, *, account_id: int, page: int, page_size: int
) -> tuple[Sequence[LoginHistory], int]:
    """One page of login attempts, newest first, and the total count."""
    total = (
        await session.execute(
            select(func.count())
            .select_from(LoginHistory)
            .where(LoginHistory.account_id == account_id)
        )
    ).scalar_one()
    rows = (
        (
            await session.execute(
                select(LoginHistory)
                .where(LoginHistory.account_id == account_id)
                .order_by(LoginHistory.login_time.desc(), LoginHistory.id.desc())
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
        )
        .scalars()
        .all()
    )
    return rows, int(total)
