"""`portico issuer flag-customer | clear-customer | set-id-types`: the same service as the
issuer API, audited as the CLI operator; the onboarding API answers the result at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.institutions.models import Institution
from portico.issuer.models import AuditEvent
from tests.support.cli import portico
from tests.support.oauth import Realm
from tests.support.onboarding import Onboarding, assert_answer, document, payload


@pytest.mark.usefixtures("cli_env")
async def test_flag_and_clear_from_the_cli(
    partner: Onboarding, session: AsyncSession, realm: Realm
) -> None:
    customer = assert_answer(await partner.onboard(payload()), 200, "SUCCESS")["customerId"]
    institution = ["--institution", realm.issuer_id]
    assert (
        await portico("issuer", "flag-customer", customer, "--status", "BLOCKED", *institution) == 0
    )
    assert_answer(await partner.lookup(document()), 200, "BLOCKED")
    assert (
        await portico(
            "issuer",
            "flag-customer",
            customer,
            "--status",
            "UNDER_INVESTIGATION",
            "--reason",
            "adverse media",
            *institution,
        )
        == 0
    )
    assert_answer(await partner.lookup(document()), 200, "UNDER_INVESTIGATION")
    assert await portico("issuer", "clear-customer", customer, *institution) == 0
    assert_answer(await partner.lookup(document()), 200, "SUBSCRIPTION_PENDING")
    events = (
        await session.execute(select(AuditEvent.action, AuditEvent.outcome).order_by(AuditEvent.id))
    ).all()
    assert [tuple(e) for e in events] == [
        ("customer.flag", "BLOCKED"),
        ("customer.flag", "UNDER_INVESTIGATION"),
        ("customer.clear", "NONE"),
    ]
    assert (
        await portico(
            "issuer", "flag-customer", "NoSuchCustomer01", "--status", "BLOCKED", *institution
        )
        == 1
    )


@pytest.mark.usefixtures("cli_env")
async def test_set_id_types(partner: Onboarding, session: AsyncSession, realm: Realm) -> None:
    institution = ["--institution", realm.issuer_id]
    assert await portico("issuer", "set-id-types", "national_id", "TAX_CARD", *institution) == 0
    row = (
        await session.execute(select(Institution).where(Institution.id == realm.institution_id))
    ).scalar_one()
    await session.refresh(row)
    assert row.id_types == ["NATIONAL_ID", "TAX_CARD"]
    assert_answer(await partner.onboard(payload()), 400, "INVALID_MASTER_DATA", fields=["idType"])
    assert await portico("issuer", "set-id-types", "bad type!", *institution) == 1
    assert await portico("issuer", "set-id-types", *institution) == 0
    await session.refresh(row)
    assert row.id_types is None
    assert_answer(await partner.onboard(payload()), 200, "SUCCESS")
