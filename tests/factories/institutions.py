"""Institution factories."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from portico.enums import AccountPortal
from portico.ids import new_biz_id
from portico.institutions import service as institution_service


@dataclass(frozen=True)
class InstitutionCodes:
    institution_id: int
    biz_id: str
    consumer: str
    partner: str

    def code(self, portal: AccountPortal) -> str:
        return self.consumer if portal == AccountPortal.CONSUMER else self.partner


async def create_institution(session: AsyncSession, *, name: str | None = None) -> InstitutionCodes:
    institution, codes = await institution_service.create_institution(
        session, name=name or f"Test Bank {new_biz_id(4)}"
    )
    return InstitutionCodes(
        institution_id=institution.id,
        biz_id=institution.biz_id,
        consumer=codes[AccountPortal.CONSUMER],
        partner=codes[AccountPortal.PARTNER],
    )
