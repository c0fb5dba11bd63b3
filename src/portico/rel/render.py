"""Records as `rel` answers: references resolved into the objects they name.

A contact's or an organisation's `lists` hold ids; the answer embeds the addresses, phone
numbers and (for contacts) the pinned organisation versions, loaded in a few queries for a
whole page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.rel import schemas
from portico.rel.models import (
    RelAddress,
    RelContact,
    RelContactVersion,
    RelOrganisation,
    RelOrganisationVersion,
    RelPhoneNumber,
)
from portico.rel.service import ADDRESS_FIELDS, by_uids

ContactState = tuple[RelContact, RelContact | RelContactVersion]
OrganisationState = tuple[RelOrganisation, RelOrganisation | RelOrganisationVersion]


def address_out(row: RelAddress) -> schemas.RelAddress:
    return schemas.RelAddress(
        id=row.uid,
        **{name: getattr(row, name) for name in ADDRESS_FIELDS},
        geo_location=None,
        created_at=row.created_at,
    )


def phone_out(row: RelPhoneNumber) -> schemas.RelPhoneNumber:
    return schemas.RelPhoneNumber(
        id=row.uid,
        country_code=row.country_code,
        number=row.number,
        national=row.national,
        type=row.type,
        created_at=row.created_at,
    )


def _entries(lists: dict[str, Any], name: str) -> list[Any]:
    entry = lists.get(name) or {}
    return [item for item in [entry.get("primary"), *(entry.get("secondary") or [])] if item]


class Renderer:
    def __init__(self, session: AsyncSession, institution_id: int) -> None:
        self.session = session
        self.institution_id = institution_id
        self.addresses: dict[str, RelAddress] = {}
        self.phones: dict[str, RelPhoneNumber] = {}

    async def _load_values(self, lists: Sequence[dict[str, Any]]) -> None:
        addresses = {
            i for item in lists for n in ("billing", "shipping") for i in _entries(item, n)
        }
        phones = {i for item in lists for i in _entries(item, "phone_numbers")}
        self.addresses.update(
            await by_uids(
                self.session,
                RelAddress,
                institution_id=self.institution_id,
                uids=addresses - set(self.addresses),
            )
        )
        self.phones.update(
            await by_uids(
                self.session,
                RelPhoneNumber,
                institution_id=self.institution_id,
                uids=phones - set(self.phones),
            )
        )

    def _address_list(self, lists: dict[str, Any], name: str) -> schemas.RelAddressList:
        entry = lists.get(name) or {}
        primary = self.addresses.get(entry.get("primary") or "")
        return schemas.RelAddressList(
            primary=address_out(primary) if primary else None,
            secondary=[
                address_out(self.addresses[i])
                for i in entry.get("secondary") or []
                if i in self.addresses
            ],
        )

    def _phone_list(self, lists: dict[str, Any]) -> schemas.RelPhoneNumberList:
        entry = lists.get("phone_numbers") or {}
        primary = self.phones.get(entry.get("primary") or "")
        return schemas.RelPhoneNumberList(
            primary=phone_out(primary) if primary else None,
            secondary=[
                phone_out(self.phones[i]) for i in entry.get("secondary") or [] if i in self.phones
            ],
        )

    def _organisation(self, row: RelOrganisation, state: Any) -> schemas.RelOrganisation:
        settings = state.payment_settings or {}
        post = settings.get("post_payment")
        invoice = settings.get("invoice")
        return schemas.RelOrganisation(
            id=row.uid,
            version=state.version,
            name=state.name,
            file_id=state.file_id,
            coc_number=state.coc_number,
            account_manager=state.account_manager,
            administration=schemas.RelAdministration(
                email=(state.administration or {}).get("email")
            ),
            tags=state.tags or [],
            metadata=state.details or {},
            registrations=[
                schemas.RelVatRegistration(
                    country_code=item["country_code"],
                    number=item["number"],
                    verification=schemas.RelVatRegistrationVerification(
                        is_pending=True,
                        is_valid=False,
                        country_code=None,
                        name=None,
                        type=None,
                        metadata=None,
                        verified_at=None,
                    ),
                )
                for item in state.registrations or []
            ],
            payment_settings=schemas.RelOrganisationPaymentSettings(
                post_payment=(
                    schemas.RelPostPayment(
                        spending_limit=post.get("spending_limit"),
                        current_due_amount=post.get("current_due_amount"),
                        due_after=post.get("due_after"),
                        iban=post.get("iban") or [],
                    )
                    if post is not None
                    else None
                ),
                invoice=(
                    schemas.RelInvoiceSettingsOut.model_validate(invoice)
                    if invoice is not None
                    else None
                ),
            ),
            phone_numbers=self._phone_list(state.lists),
            billing=self._address_list(state.lists, "billing"),
            shipping=self._address_list(state.lists, "shipping"),
            created_at=row.created_at,
            updated_at=state.updated_at if state is row else state.created_at,
            deleted_at=state.deleted_at,
        )

    async def organisations(
        self, states: Sequence[OrganisationState]
    ) -> list[schemas.RelOrganisation]:
        await self._load_values([state.lists for _, state in states])
        return [self._organisation(row, state) for row, state in states]

    async def _pinned(self, refs: set[tuple[str, str]]) -> dict[tuple[str, str], OrganisationState]:
        rows = await by_uids(
            self.session,
            RelOrganisation,
            institution_id=self.institution_id,
            uids={uid for uid, _ in refs},
        )
        found: dict[tuple[str, str], OrganisationState] = {}
        old = [(uid, v) for uid, v in refs if uid in rows and rows[uid].version != v]
        for uid, version in refs:
            if uid in rows and rows[uid].version == version:
                found[(uid, version)] = (rows[uid], rows[uid])
        if old:
            by_id = {rows[uid].id: rows[uid] for uid, _ in old}
            snapshots = await self.session.execute(
                select(RelOrganisationVersion).where(
                    RelOrganisationVersion.organisation_id.in_(list(by_id)),
                    RelOrganisationVersion.version.in_([v for _, v in old]),
                )
            )
            for snapshot in snapshots.scalars():
                owner = by_id[snapshot.organisation_id]
                found[(owner.uid, snapshot.version)] = (owner, snapshot)
        return found

    async def contacts(self, states: Sequence[ContactState]) -> list[schemas.RelContact]:
        refs = {
            (item["id"], item["version"])
            for _, state in states
            for item in _entries(state.lists, "organisations")
        }
        pinned = await self._pinned(refs)
        await self._load_values(
            [state.lists for _, state in states] + [s.lists for _, s in pinned.values()]
        )
        answers = []
        for row, state in states:
            organisations = [
                self._organisation(*pinned[(item["id"], item["version"])])
                for item in _entries(state.lists, "organisations")
                if (item["id"], item["version"]) in pinned
            ]
            entry = state.lists.get("organisations") or {}
            has_primary = entry.get("primary") is not None and bool(organisations)
            answers.append(
                schemas.RelContact(
                    id=row.uid,
                    version=state.version,
                    email=state.email,
                    is_guest=state.is_guest,
                    audience=state.audience,
                    tags=state.tags or [],
                    given_name=state.given_name,
                    additional_name=state.additional_name,
                    family_name=state.family_name,
                    organisations=schemas.RelOrganisationList(
                        primary=organisations[0] if has_primary else None,
                        secondary=organisations[1:] if has_primary else organisations,
                    ),
                    billing=self._address_list(state.lists, "billing"),
                    shipping=self._address_list(state.lists, "shipping"),
                    phone_numbers=self._phone_list(state.lists),
                    metadata=state.details or {},
                    created_at=row.created_at,
                    updated_at=state.updated_at
                    if isinstance(state, RelContact)
                    else state.created_at,
                    deleted_at=row.deleted_at,
                )
            )
        return answers
