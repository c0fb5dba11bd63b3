"""Referral codes of partner workspaces, and the registrations that used them.

A workspace has at most one code, and a code is unique in its institution: both are unique
keys, and a create is one `INSERT … ON CONFLICT DO NOTHING`, so parallel creates end with one
row and the others get a business error (which one, read back after the insert)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import table_of, utcnow
from portico.enums import AccountStatus
from portico.ids import new_biz_id
from portico.referrals.errors import ReferralCodeExists, ReferralCodeTaken
from portico.referrals.models import Referral, ReferralCode
from portico.tenancy import across_workspaces, get_in_workspace, scoped
from portico.workspaces.models import Workspace

# No 0/O or 1/I: a generated code is read aloud and typed by hand.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 8
GENERATE_TRIES = 5


def generate_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(GENERATED_LENGTH))


async def find_mine(session: AsyncSession, *, workspace_id: int) -> ReferralCode | None:
    statement = scoped(select(ReferralCode), ReferralCode, workspace_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def _insert(
    session: AsyncSession, *, workspace: Workspace, code: str, extra_data: str | None, actor: str
) -> int | None:
    now = utcnow()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(table_of(ReferralCode))
        .values(
            biz_id=new_biz_id(),
            workspace_id=workspace.id,
            institution_id=workspace.institution_id,
            code=code,
            is_active=True,
            extra_data=extra_data,
            usage_count=0,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()  # either unique key: the workspace's code, or the code
        .returning(table_of(ReferralCode).c.id)
    )
    inserted: int | None = (await session.execute(statement)).scalar_one_or_none()
    return inserted


async def create_code(
    session: AsyncSession,
    *,
    workspace: Workspace,
    code: str | None,
    extra_data: str | None,
    actor: str,
) -> ReferralCode:
    """The workspace's code (`code`, upper-cased, or a generated one)."""
    candidates = [code.upper()] if code else [generate_code() for _ in range(GENERATE_TRIES)]
    for candidate in candidates:
        inserted = await _insert(
            session, workspace=workspace, code=candidate, extra_data=extra_data, actor=actor
        )
        mine = await find_mine(session, workspace_id=workspace.id)
        if inserted is not None and mine is not None:
            return mine
        if mine is not None:
            raise ReferralCodeExists()
    raise ReferralCodeTaken()


async def get_code(session: AsyncSession, *, workspace_id: int, biz_id: str) -> ReferralCode:
    return await get_in_workspace(session, ReferralCode, workspace_id=workspace_id, biz_id=biz_id)


async def set_active(session: AsyncSession, *, code: ReferralCode, active: bool) -> ReferralCode:
    code.is_active = active
    code.updated_at = utcnow()
    await session.flush()
    return code


async def set_extra_data(
    session: AsyncSession, *, code: ReferralCode, extra_data: str | None
) -> ReferralCode:
    code.extra_data = extra_data
    code.updated_at = utcnow()
    await session.flush()
    return code


async def record_referral(
    session: AsyncSession, *, institution_id: int, account: Account, code: str | None
) -> Referral | None:
    """Make a newly registered account the referral of the partner whose active code it gave;
    an unknown or inactive code is ignored (registration never fails on it)."""
    normalized = (code or "").strip().upper()
    if not normalized:
        return None
    statement = select(ReferralCode).where(
        ReferralCode.institution_id == institution_id,
        ReferralCode.code == normalized,
        ReferralCode.is_active.is_(True),
    )
    found = (
        await session.execute(across_workspaces(statement, "a registration's referral code"))
    ).scalar_one_or_none()
    if found is None:
        return None
    referral = Referral(
        biz_id=new_biz_id(),
        workspace_id=found.workspace_id,
        referral_code_id=found.id,
        referral_code=found.code,
        referred_account_id=account.id,
        institution_id=institution_id,
        registered_at=utcnow(),
    )
    session.add(referral)
    await session.execute(
        across_workspaces(
            update(ReferralCode)
            .where(ReferralCode.id == found.id)
            .values(usage_count=ReferralCode.usage_count + 1),
            "the used code, by id",
        )
    )
    await session.flush()
    return referral


async def count_referrals(session: AsyncSession, *, workspace_id: int) -> int:
    statement = scoped(select(func.count(Referral.id)), Referral, workspace_id)
    return int((await session.execute(statement)).scalar_one())


@dataclass(frozen=True, slots=True)
class Referred:
    """A consumer who registered with one of the workspace's codes."""

    biz_id: str
    account_biz_id: str
    email: str
    name: str | None
    code: str
    registered_at: datetime
    status: AccountStatus


async def list_referrals(
    session: AsyncSession, *, workspace_id: int, page: int, size: int
) -> tuple[list[Referred], int]:
    """One 0-based page of the workspace's referrals, newest first, and the total."""
    statement = (
        select(
            Referral.biz_id,
            Account.biz_id,
            Account.email,
            Account.name,
            Referral.referral_code,
            Referral.registered_at,
            Account.status,
        )
        .join(Account, Account.id == Referral.referred_account_id)
        .order_by(Referral.id.desc())
        .limit(size)
        .offset(page * size)
    )
    rows = await session.execute(scoped(statement, Referral, workspace_id))
    items = [
        Referred(
            biz_id=row[0],
            account_biz_id=row[1],
            email=row[2],
            name=row[3],
            code=row[4],
            registered_at=row[5],
            status=AccountStatus(row[6]),
        )
        for row in rows
    ]
    return items, await count_referrals(session, workspace_id=workspace_id)
