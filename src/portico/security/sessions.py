"""The signed-in sessions of an account: ending them, its session limit, its login history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.caller import ClientInfo
from portico.db import affected_rows, lock_row, utcnow
from portico.errors import InvalidParameter
from portico.ids import new_login_history_id
from portico.ops import events
from portico.security.models import AuthSession, LoginHistory

LOGIN_SUCCESS = 1
LOGIN_FAILURE = 2


def record_login(
    session: AsyncSession,
    *,
    account: Account,
    client: ClientInfo,
    success: bool,
    failure_reason: str | None = None,
) -> None:
    session.add(
        LoginHistory(
            biz_id=new_login_history_id(),
            account_id=account.id,
            login_time=utcnow(),
            client_ip=client.ip,
            user_agent=client.user_agent,
            client_country=client.country,
            login_result=LOGIN_SUCCESS if success else LOGIN_FAILURE,
            failure_reason=failure_reason,
        )
    )


async def revoke_sessions(
    session: AsyncSession, *, account_id: int, reason: str, keep_session_id: int | None = None
) -> int:
    """End every live session of the account (but `keep_session_id`); returns how many."""
    statement = (
        update(AuthSession)
        .where(AuthSession.account_id == account_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason=reason)
    )
    if keep_session_id is not None:
        statement = statement.where(AuthSession.id != keep_session_id)
    result = await session.execute(statement)
    ended = affected_rows(result)
    if ended:
        await session_ended(session, account_id=account_id, reason=reason, count=ended)
    return ended


async def session_ended(session: AsyncSession, *, account_id: int, reason: str, count: int) -> None:
    """Report ended sessions as a security event once the transaction commits."""
    account = await session.get(Account, account_id)  # in the session already: no query
    events.after_commit_event(
        session,
        events.SESSION_ENDED,
        account_id=account.biz_id if account else None,
        reason=reason,
        count=count,
    )


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


async def evict_beyond(
    session: AsyncSession, *, account_id: int, keep: int, spare_session_id: int | None = None
) -> None:
    """End the account's live sessions beyond its newest `keep` (`spare_session_id` is neither
    counted nor ended). The caller holds the account's row lock, so parallel calls evict one
    at a time and the limit holds."""
    statement = (
        select(AuthSession.id)
        .where(
            AuthSession.account_id == account_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > utcnow(),
        )
        .order_by(AuthSession.login_time.desc(), AuthSession.id.desc())
    )
    if spare_session_id is not None:
        statement = statement.where(AuthSession.id != spare_session_id)
    evicted = list((await session.execute(statement)).scalars().all()[max(keep, 0) :])
    if evicted:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id.in_(evicted))
            .values(revoked_at=utcnow(), revoke_reason="EVICTED")
        )
        await session_ended(session, account_id=account_id, reason="EVICTED", count=len(evicted))


async def set_session_limit(
    session: AsyncSession, *, account: Account, limit: int, current_session_id: int
) -> None:
    """Apply a new limit; the oldest sessions beyond it (never the caller's) are ended."""
    await lock_row(session, Account, account.id)
    account.max_sessions = limit
    account.updated_at = utcnow()
    await evict_beyond(
        session, account_id=account.id, keep=limit - 1, spare_session_id=current_session_id
    )


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
