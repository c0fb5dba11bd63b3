"""Creating institutions and their portal access codes."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.enums import AccountPortal
from portico.errors import InvalidParameter
from portico.ids import new_biz_id, new_issuer_id
from portico.institutions.models import Institution, PortalAccessCode

REALM = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_access_code() -> str:
    return f"pac_{secrets.token_hex(12)}"


async def create_institution(
    session: AsyncSession,
    *,
    name: str,
    consumer_code: str | None = None,
    partner_code: str | None = None,
    realm: str | None = None,
) -> tuple[Institution, dict[AccountPortal, str]]:
    """An institution with one access code per portal; its token realm is `realm`, else its
    issuerId."""
    if realm is not None and not REALM.fullmatch(realm):
        raise InvalidParameter()
    issuer_id = new_issuer_id()
    institution = Institution(
        biz_id=new_biz_id(), issuer_id=issuer_id, realm=realm or issuer_id, name=name
    )
    session.add(institution)
    await session.flush()
    codes = {
        AccountPortal.CONSUMER: consumer_code or new_access_code(),
        AccountPortal.PARTNER: partner_code or new_access_code(),
    }
    for portal, code in codes.items():
        session.add(PortalAccessCode(code=code, institution_id=institution.id, portal=portal))
    await session.flush()
    return institution, codes


@dataclass(frozen=True, slots=True)
class AccessCode:
    """An enabled portal access code: the portal it opens and its institution."""

    portal: AccountPortal
    institution_id: int
    institution_biz_id: str


async def find_enabled_code(session: AsyncSession, code: str) -> AccessCode | None:
    """The enabled access code `code`, or None (unknown or disabled)."""
    row = (
        await session.execute(
            select(PortalAccessCode.portal, Institution.id, Institution.biz_id)
            .join(Institution, Institution.id == PortalAccessCode.institution_id)
            .where(PortalAccessCode.code == code, PortalAccessCode.enabled.is_(True))
        )
    ).first()
    return None if row is None else AccessCode(row[0], row[1], row[2])


async def institution_by_access_code(session: AsyncSession, code: str) -> Institution | None:
    return (
        await session.execute(
            select(Institution)
            .join(PortalAccessCode, PortalAccessCode.institution_id == Institution.id)
            .where(PortalAccessCode.code == code)
        )
    ).scalar_one_or_none()


async def find_by_realm(session: AsyncSession, realm: str) -> Institution | None:
    """The institution whose token realm is `realm`."""
    if not REALM.fullmatch(realm):
        return None
    return (
        await session.execute(select(Institution).where(Institution.realm == realm))
    ).scalar_one_or_none()


async def find_by_issuer_id(session: AsyncSession, issuer_id: str) -> Institution | None:
    return (
        await session.execute(select(Institution).where(Institution.issuer_id == issuer_id[:10]))
    ).scalar_one_or_none()


async def resolve_institution(session: AsyncSession, ref: str | None) -> Institution:
    """An institution by bizId, issuerId or portal access code; the only one when `ref` is
    None (the operator's CLI). `LookupError` when there is none, or several and no `ref`."""
    if ref is None:
        rows = list((await session.execute(select(Institution).limit(2))).scalars())
        if len(rows) != 1:
            raise LookupError("several institutions (or none): name one with --institution")
        return rows[0]
    found = (
        await session.execute(
            select(Institution).where((Institution.biz_id == ref) | (Institution.issuer_id == ref))
        )
    ).scalar_one_or_none()
    if found is None:
        found = await institution_by_access_code(session, ref)
    if found is None:
        raise LookupError(f"no institution {ref}")
    return found
