"""Creating an account with everything it starts with."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import utcnow
from portico.enums import AccountPortal, AccountStatus, JoinSource, MfaMethod, WorkspaceKind
from portico.ids import new_biz_id
from portico.security.models import MfaEnrollment
from portico.workspaces import service as workspace_service


async def create_account(
    session: AsyncSession,
    *,
    institution_id: int,
    portal: AccountPortal,
    email: str,
    password_hash: str,
    account_name: str | None,
    join_source: JoinSource = JoinSource.REGISTRATION,
    pending_approval: bool | None = None,
    max_sessions: int = 3,
) -> Account:
    """Create an account with everything registration provisions.

    The account, a LIVE workspace, its OWNER and member roles, the owner membership and the
    EMAIL MFA method (enabled, primary).
    """
    now = utcnow()
    name = account_name or email.split("@", 1)[0]
    account = Account(
        biz_id=new_biz_id(),
        institution_id=institution_id,
        portal=portal,
        email=email,
        name=name,
        status=AccountStatus.ACTIVE,
        pending_approval=(portal == AccountPortal.PARTNER)
        if pending_approval is None
        else pending_approval,
        password_hash=password_hash,
        default_language="en",
        default_timezone="UTC",
        default_country="US",
        max_sessions=max_sessions,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    await session.flush()
    await workspace_service.create_workspace(
        session,
        owner=account,
        name=f"{name}'s Workspace",
        kind=WorkspaceKind.LIVE,
        join_source=join_source,
        is_default=True,
    )
    session.add(
        MfaEnrollment(
            account_id=account.id,
            method=MfaMethod.EMAIL,
            is_enabled=True,
            is_primary=True,
            verified_at=now,
            created_at=now,
        )
    )
    await session.flush()
    return account
