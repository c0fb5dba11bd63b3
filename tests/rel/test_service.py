"""The customer data store's entry points for onboarding and consumer deletion."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import Database
from portico.errors import InvalidParameter
from portico.rel import service
from portico.rel.models import RelAddress, RelContact, RelContactVersion, RelPhoneNumber
from tests.support.oauth import Realm

ADDRESS = {
    "country_code": "NL",
    "locality": "Amsterdam",
    "postal_code": "1012 AB",
    "address_line_1": "Damrak 1",
}


async def _customer(
    session: AsyncSession, realm: Realm, consumer: Account, **changes: object
) -> str:
    values: dict[str, object] = {
        "email": "Carol@Example.com",
        "given_name": "Carol",
        "family_name": "Danvers",
        "phone_e164": "+31612345678",
        "address": ADDRESS,
    }
    values.update(changes)
    return await service.upsert_customer_contact(
        session,
        institution_id=realm.institution_id,
        account_id=consumer.id,
        **values,  # type: ignore[arg-type]
    )


async def _versions(session: AsyncSession, contact_id: str) -> int:
    total = await session.execute(
        select(func.count())
        .select_from(RelContactVersion)
        .join(RelContact, RelContact.id == RelContactVersion.contact_id)
        .where(RelContact.uid == contact_id)
    )
    return int(total.scalar_one())


async def test_upsert_customer_contact_writes_contact_address_phone_and_a_version(
    session: AsyncSession, realm: Realm, consumer: Account
) -> None:
    contact_id = await _customer(session, realm, consumer)
    await session.commit()
    contact = (
        await session.execute(select(RelContact).where(RelContact.uid == contact_id))
    ).scalar_one()
    assert contact.email == "carol@example.com"
    assert (contact.given_name, contact.family_name, contact.account_id) == (
        "Carol",
        "Danvers",
        consumer.id,
    )
    address = (
        await session.execute(
            select(RelAddress).where(RelAddress.uid == contact.lists["billing"]["primary"])
        )
    ).scalar_one()
    assert (address.locality, address.country_code, address.account_id) == (
        "Amsterdam",
        "NL",
        consumer.id,
    )
    phone = (
        await session.execute(
            select(RelPhoneNumber).where(
                RelPhoneNumber.uid == contact.lists["phone_numbers"]["primary"]
            )
        )
    ).scalar_one()
    assert (phone.number, phone.national, phone.type, phone.country_code) == (
        "+31612345678",
        "06 12345678",
        "mobile",
        "NL",
    )
    assert await _versions(session, contact_id) == 1


async def test_the_same_customer_twice_is_one_contact_and_one_version(
    session: AsyncSession, realm: Realm, consumer: Account
) -> None:
    first = await _customer(session, realm, consumer)
    second = await _customer(session, realm, consumer, email="carol@example.com")
    await session.commit()
    assert first == second
    assert await _versions(session, first) == 1
    for model in (RelAddress, RelPhoneNumber):
        assert (await session.execute(select(func.count()).select_from(model))).scalar_one() == 1


async def test_a_new_phone_becomes_primary_and_the_old_one_secondary(
    session: AsyncSession, realm: Realm, consumer: Account
) -> None:
    contact_id = await _customer(session, realm, consumer)
    await _customer(session, realm, consumer, phone_e164="+14155550123")
    await session.commit()
    contact = (
        await session.execute(select(RelContact).where(RelContact.uid == contact_id))
    ).scalar_one()
    phones = {
        row.uid: row.number for row in (await session.execute(select(RelPhoneNumber))).scalars()
    }
    assert phones[contact.lists["phone_numbers"]["primary"]] == "+14155550123"
    assert [phones[i] for i in contact.lists["phone_numbers"]["secondary"]] == ["+31612345678"]
    assert await _versions(session, contact_id) == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"phone_e164": "+1"}, "number"),
        ({"address": {"country_code": "XX"}}, "country_code"),
        ({"address": {"country_code": "NL", "street": "x"}}, "street"),
    ],
)
async def test_bad_customer_data_names_the_field(
    session: AsyncSession, realm: Realm, consumer: Account, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidParameter) as raised:
        await _customer(session, realm, consumer, **changes)
    assert raised.value.fields == (field,)


async def test_anonymise_erases_the_contact_its_versions_addresses_and_phones(
    session: AsyncSession, realm: Realm, consumer: Account
) -> None:
    contact_id = await _customer(session, realm, consumer)
    await _customer(session, realm, consumer, phone_e164="+14155550123", given_name="Caroline")
    count = await service.anonymise_customer_contacts(
        session, institution_id=realm.institution_id, account_id=consumer.id
    )
    await session.commit()
    assert count == 1
    contact = (
        await session.execute(select(RelContact).where(RelContact.uid == contact_id))
    ).scalar_one()
    assert contact.email == f"deleted-{contact_id}@deleted.invalid"
    assert (contact.given_name, contact.family_name, contact.tags) == (None, None, [])
    versions = (
        await session.execute(
            select(RelContactVersion).where(RelContactVersion.contact_id == contact.id)
        )
    ).scalars()
    assert [(v.email, v.given_name, v.family_name) for v in versions] == [(None, None, None)] * 2
    assert [p.number for p in (await session.execute(select(RelPhoneNumber))).scalars()] == [
        None,
        None,
    ]
    addresses = (await session.execute(select(RelAddress))).scalars()
    assert [(a.locality, a.address_line_1, a.country_code) for a in addresses] == [
        (None, None, "NL")
    ]
    # Another consumer's contact with the same email can be written again.
    assert await _customer(session, realm, consumer) != contact_id


async def test_parallel_upserts_of_one_email_make_one_contact(
    database: Database, session: AsyncSession, realm: Realm, consumer: Account
) -> None:
    async def onboard(given_name: str) -> str:
        async with database.sessionmaker() as own:
            contact_id = await service.upsert_customer_contact(
                own,
                institution_id=realm.institution_id,
                email="carol@example.com",
                given_name=given_name,
                family_name="Danvers",
                phone_e164=None,
                address=None,
                account_id=consumer.id,
            )
            await own.commit()
            return contact_id

    ids = await asyncio.gather(*(onboard(f"Carol{i}") for i in range(4)))
    assert len(set(ids)) == 1
    contacts = (await session.execute(select(RelContact))).scalars().all()
    assert len(contacts) == 1
    assert await _versions(session, ids[0]) == 4
