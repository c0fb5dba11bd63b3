"""The customer data store's operations, shared by the `rel` routes and by onboarding.

Services never commit: they write into the caller's transaction (a request's unit of work, or
onboarding's one transaction).

- Addresses and phone numbers are created once and never change (`create_address`,
  `create_phone_number`); phone numbers are parsed with `phonenumbers` and stored as E.164,
  national format and type.
- `upsert_contact` is Afosto's `PUT /rel/contacts`: the contact with this email (in the
  institution) is created or updated; only the fields given change, a list's new `primary`
  replaces the old one and the old one moves to the front of `secondary`. A write that changes
  nothing writes no version; any other write adds one.
- `upsert_customer_contact` (onboarding) and `anonymise_customer_contacts` (consumer
  deletion) are the entry points other packages call.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import phonenumbers
import pycountry
from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import Base, lock_row, table_of, utcnow
from portico.email_address import InvalidEmail, normalise_email
from portico.errors import InvalidParameter, NotFound
from portico.pii import ERASED_EMAIL, ERASED_KEY, is_pii
from portico.rel.models import (
    ACTIVE,
    RelAddress,
    RelContact,
    RelContactVersion,
    RelOrganisation,
    RelOrganisationVersion,
    RelPhoneNumber,
)

M = TypeVar("M", bound=Base)

ADDRESS_FIELDS: tuple[str, ...] = (
    "country_code",
    "administrative_area",
    "locality",
    "dependent_locality",
    "postal_code",
    "sorting_code",
    "address_line_1",
    "address_line_2",
    "thoroughfare",
    "premise_number",
    "premise_number_suffix",
    "organisation",
    "given_name",
    "additional_name",
    "family_name",
)
ADDRESS_LISTS = ("billing", "shipping")
ID_LISTS = ("billing", "shipping", "phone_numbers")
CONTACT_FIELDS = (
    "is_guest",
    "audience",
    "tags",
    "given_name",
    "additional_name",
    "family_name",
    "metadata",
)
ORGANISATION_FIELDS = (
    "name",
    "file_id",
    "coc_number",
    "account_manager",
    "administration",
    "tags",
    "metadata",
    "registrations",
    "payment_settings",
)
# phonenumbers' types as Afosto names them; the others (pager, UAN, voicemail, unknown) have
# no Afosto name and are answered as null.
PHONE_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_number",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile",
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll-free",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
    phonenumbers.PhoneNumberType.VOIP: "voip",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "personal",
}
MAX_SECONDARY = 100
MAX_SEARCH_VALUES = 100


def new_uid() -> str:
    return str(uuid.uuid4())


def empty_lists() -> dict[str, Any]:
    return {name: {"primary": None, "secondary": []} for name in (*ID_LISTS, "organisations")}


def country(code: object, field: str = "country_code") -> str:
    """An ISO 3166-1 alpha-2 code, upper case, or `400` naming `field`."""
    if not isinstance(code, str) or len(code) != 2 or not code.isascii():
        raise InvalidParameter(field)
    if pycountry.countries.get(alpha_2=code.upper()) is None:
        raise InvalidParameter(field)
    return code.upper()


# --- addresses and phone numbers -------------------------------------------------------------


async def create_address(
    session: AsyncSession,
    *,
    institution_id: int,
    fields: dict[str, Any],
    account_id: int | None = None,
) -> RelAddress:
    """A new immutable address; `fields` are `RelAddressModel`'s (`country_code` required)."""
    unknown = [name for name in fields if name not in ADDRESS_FIELDS]
    if unknown:
        raise InvalidParameter(*unknown)
    values = {name: fields.get(name) for name in ADDRESS_FIELDS}
    values["country_code"] = country(values["country_code"])
    address = RelAddress(
        uid=new_uid(), institution_id=institution_id, account_id=account_id, **values
    )
    session.add(address)
    await session.flush()
    return address


@dataclass(frozen=True, slots=True)
class ParsedPhone:
    country_code: str
    number: str
    national: str
    type: str | None


def parse_phone(number: object, country_code: object | None) -> ParsedPhone:
    """A phone number as E.164, national format and type: written nationally with the region
    `country_code`, or internationally (`+...`) with any region. A number that cannot be a
    real one (`phonenumbers.is_valid_number`) is `400` naming `number`."""
    region = country(country_code) if country_code is not None else None
    if not isinstance(number, str) or not 0 < len(number) <= 64:
        raise InvalidParameter("number")
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        raise InvalidParameter("number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidParameter("number")
    found = phonenumbers.region_code_for_number(parsed) or region
    if found is None or pycountry.countries.get(alpha_2=found) is None:
        raise InvalidParameter("number")
    return ParsedPhone(
        country_code=found,
        number=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        national=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
        type=PHONE_TYPES.get(phonenumbers.number_type(parsed)),
    )


async def create_phone_number(
    session: AsyncSession,
    *,
    institution_id: int,
    number: str,
    country_code: str | None,
    account_id: int | None = None,
) -> RelPhoneNumber:
    parsed = parse_phone(number, country_code)
    phone = RelPhoneNumber(
        uid=new_uid(),
        institution_id=institution_id,
        account_id=account_id,
        country_code=parsed.country_code,
        number=parsed.number,
        national=parsed.national,
        type=parsed.type,
    )
    session.add(phone)
    await session.flush()
    return phone


async def by_uids(
    session: AsyncSession, model: type[M], *, institution_id: int, uids: Iterable[str]
) -> dict[str, M]:
    """The institution's rows of `model` with these public ids (unknown ones left out)."""
    wanted = list(dict.fromkeys(uids))
    if not wanted:
        return {}
    table = table_of(model)
    statement = select(model).where(
        table.c.institution_id == institution_id, table.c.uid.in_(wanted)
    )
    rows = (await session.execute(statement)).scalars()
    return {row.uid: row for row in rows}  # type: ignore[attr-defined]


async def get_one(session: AsyncSession, model: type[M], *, institution_id: int, uid: str) -> M:
    """The institution's record, or `404` (another institution's is unknown too)."""
    found = await by_uids(session, model, institution_id=institution_id, uids=[uid])
    row = found.get(uid)
    if row is None or getattr(row, "deleted_at", None) is not None:
        raise NotFound()
    return row


# --- lists of references ---------------------------------------------------------------------


def _merge(old: dict[str, Any] | None, new: dict[str, Any], key: Any) -> dict[str, Any]:
    """A list after an upsert: the new primary; the old primary (when replaced), then the old
    secondaries, then the given ones, without repeats or the primary."""
    primary = new.get("primary")
    secondary: list[Any] = []
    if old is not None:
        if old.get("primary") is not None:
            secondary.append(old["primary"])
        secondary += old.get("secondary", [])
    secondary += new.get("secondary") or []
    seen = {key(primary)} if primary is not None else set()
    kept = []
    for item in secondary:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return {"primary": primary, "secondary": kept[:MAX_SECONDARY]}


def _same(item: Any) -> Any:
    return item


def _organisation_id(item: dict[str, Any]) -> str:
    return str(item["id"])


async def resolve_lists(
    session: AsyncSession,
    *,
    institution_id: int,
    given: dict[str, Any],
    current: dict[str, Any] | None,
    with_organisations: bool,
) -> dict[str, Any]:
    """`current` with the lists in `given` merged in, every reference checked to exist in the
    institution (an unknown id is `400` naming its list); an organisation given without a
    version is pinned to its current version."""
    lists = {**empty_lists(), **(current or {})}
    if not with_organisations:
        lists.pop("organisations", None)
    models: dict[str, type[Base]] = {
        "billing": RelAddress,
        "shipping": RelAddress,
        "phone_numbers": RelPhoneNumber,
    }
    for name, model in models.items():
        if name not in given:
            continue
        entry = given[name] or {}
        ids = [entry.get("primary"), *(entry.get("secondary") or [])]
        ids = [i for i in ids if i is not None]
        found = await by_uids(session, model, institution_id=institution_id, uids=ids)
        if len(found) != len(set(ids)):
            raise InvalidParameter(name)
        lists[name] = _merge(current.get(name) if current else None, entry, _same)
    if with_organisations and "organisations" in given:
        entry = given["organisations"] or {}
        refs = [entry.get("primary"), *(entry.get("secondary") or [])]
        pinned: list[dict[str, str] | None] = []
        for ref in refs:
            if ref is None:
                pinned.append(None)
                continue
            pinned.append(await _pin_organisation(session, institution_id, ref))
        merged = {"primary": pinned[0], "secondary": pinned[1:]}
        lists["organisations"] = _merge(
            current.get("organisations") if current else None, merged, _organisation_id
        )
    return lists


async def _pin_organisation(
    session: AsyncSession, institution_id: int, ref: dict[str, Any]
) -> dict[str, str]:
    organisations = await by_uids(
        session, RelOrganisation, institution_id=institution_id, uids=[ref["id"]]
    )
    organisation = organisations.get(ref["id"])
    if organisation is None or organisation.deleted_at is not None:
        raise InvalidParameter("organisations")
    version = ref.get("version")
    if version is None:
        return {"id": organisation.uid, "version": organisation.version}
    known = await session.execute(
        select(RelOrganisationVersion.id).where(
            RelOrganisationVersion.organisation_id == organisation.id,
            RelOrganisationVersion.version == version,
        )
    )
    if known.first() is None:
        raise InvalidParameter("organisations")
    return {"id": organisation.uid, "version": version}


# --- contacts --------------------------------------------------------------------------------


def _contact_state(contact: RelContact | RelContactVersion) -> dict[str, Any]:
    return {
        "email": contact.email,
        "is_guest": contact.is_guest,
        "audience": contact.audience,
        "tags": contact.tags,
        "given_name": contact.given_name,
        "additional_name": contact.additional_name,
        "family_name": contact.family_name,
        "lists": contact.lists,
        "metadata": contact.details,
    }


def _write_contact_version(session: AsyncSession, contact: RelContact) -> None:
    now = utcnow()
    contact.version = new_uid()
    contact.updated_at = now
    state = _contact_state(contact)
    session.add(
        RelContactVersion(
            contact_id=contact.id,
            account_id=contact.account_id,
            version=contact.version,
            email=state["email"],
            is_guest=state["is_guest"],
            audience=state["audience"],
            tags=state["tags"],
            given_name=state["given_name"],
            additional_name=state["additional_name"],
            family_name=state["family_name"],
            lists=state["lists"],
            details=state["metadata"],
            created_at=now,
        )
    )


def _insert_ignoring_duplicate(session: AsyncSession, values: dict[str, Any]) -> Any:
    table = table_of(RelContact)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["institution_id", "email"], index_where=ACTIVE)
        .returning(table.c.id)
    )


async def _active_contact(
    session: AsyncSession, institution_id: int, email: str
) -> RelContact | None:
    statement = select(RelContact).where(
        RelContact.institution_id == institution_id,
        RelContact.email == email,
        RelContact.deleted_at.is_(None),
    )
    return (await session.execute(statement)).scalars().first()


async def _locked(session: AsyncSession, contact: RelContact) -> RelContact:
    """The contact, locked for this transaction and re-read (parallel upserts of one email run
    one after the other, each seeing the other's write)."""
    await lock_row(session, RelContact, contact.id)
    await session.refresh(contact)
    return contact


@dataclass(frozen=True, slots=True)
class Upserted:
    contact: RelContact
    created: bool
    changed: bool


async def upsert_contact(
    session: AsyncSession,
    *,
    institution_id: int,
    email: str,
    fields: dict[str, Any],
    lists: dict[str, Any],
    account_id: int | None = None,
) -> Upserted:
    """Create or update the institution's contact with this (normalised) email.

    `fields` holds the `RelContactUpdate` scalar fields given (`metadata` included), `lists`
    the lists given (`billing`, `shipping`, `phone_numbers` as `{primary, secondary}` of ids,
    `organisations` as `{primary, secondary}` of `{id, version}`). An `account_id` links the
    contact to a consumer (kept once set)."""
    try:
        email = normalise_email(email)
    except InvalidEmail:
        raise InvalidParameter("email") from None
    contact = await _active_contact(session, institution_id, email)
    created = False
    if contact is None:
        now = utcnow()
        values = {
            "uid": new_uid(),
            "institution_id": institution_id,
            "account_id": account_id,
            "email": email,
            "version": new_uid(),
            "is_guest": False,
            "audience": "default",
            "tags": [],
            "lists": empty_lists(),
            "metadata": {},
            "created_at": now,
            "updated_at": now,
        }
        inserted = (
            await session.execute(_insert_ignoring_duplicate(session, values))
        ).scalar_one_or_none()
        contact = await _active_contact(session, institution_id, email)
        if contact is None:
            raise NotFound()  # deleted by a parallel request between the two statements
        created = inserted is not None
    contact = await _locked(session, contact)
    before = None if created else _contact_state(contact)
    lists_after = await resolve_lists(
        session,
        institution_id=institution_id,
        given=lists,
        current=contact.lists,
        with_organisations=True,
    )
    for name, value in fields.items():
        if name not in CONTACT_FIELDS:
            raise InvalidParameter(name)
        setattr(contact, "details" if name == "metadata" else name, value)
    if contact.tags is None:
        contact.tags = []
    if contact.details is None:
        contact.details = {}
    contact.lists = lists_after
    if account_id is not None and contact.account_id is None:
        contact.account_id = account_id
    changed = before is None or before != _contact_state(contact)
    if changed:
        _write_contact_version(session, contact)
    await session.flush()
    return Upserted(contact, created, changed)


async def contact_version(
    session: AsyncSession, contact: RelContact, version: str | None
) -> RelContact | RelContactVersion:
    """The contact itself (no `version`, or its current one) or that snapshot, or `404`."""
    if version is None or version == contact.version:
        return contact
    snapshot = (
        await session.execute(
            select(RelContactVersion).where(
                RelContactVersion.contact_id == contact.id, RelContactVersion.version == version
            )
        )
    ).scalar_one_or_none()
    if snapshot is None:
        raise NotFound()
    return snapshot


async def versions_of(
    session: AsyncSession, model: type[RelContactVersion] | type[RelOrganisationVersion], owner: int
) -> list[tuple[str, datetime]]:
    """Every version of a contact or organisation, oldest first."""
    column = (
        RelContactVersion.contact_id
        if model is RelContactVersion
        else RelOrganisationVersion.organisation_id
    )
    rows = await session.execute(
        select(model.version, model.created_at).where(column == owner).order_by(model.id)
    )
    return [(version, created_at) for version, created_at in rows.all()]


async def delete_contact(session: AsyncSession, *, institution_id: int, uid: str) -> None:
    """Delete the contact: its personal data (every version's too) is erased and it is no
    longer found; its addresses and phone numbers are erased with it."""
    contact = await get_one(session, RelContact, institution_id=institution_id, uid=uid)
    contact = await _locked(session, contact)
    await _anonymise(session, contact)
    contact.deleted_at = utcnow()
    await session.flush()


# --- the entry points of onboarding and of consumer deletion ---------------------------------


def _address_matches(address: RelAddress, fields: dict[str, Any]) -> bool:
    wanted = {name: fields.get(name) for name in ADDRESS_FIELDS}
    wanted["country_code"] = str(wanted["country_code"] or "").upper()
    return all(getattr(address, name) == value for name, value in wanted.items())


async def upsert_customer_contact(
    session: AsyncSession,
    *,
    institution_id: int,
    email: str,
    given_name: str,
    family_name: str,
    phone_e164: str | None,
    address: dict[str, Any] | None,
    account_id: int | None,
) -> str:
    """Write an onboarded customer's contact (found by email), with its address as the
    primary billing address and its phone as the primary phone number, versioned as any
    upsert; answers the contact's id (`RelContact.id`, a uuid).

    `address` has `RelAddressModel`'s keys (`country_code` required; an unknown key is `400`
    naming it); `phone_e164` is `+<digits>`. An address or phone equal to the contact's
    current primary is reused, so onboarding the same payload twice writes no new version.
    Refusals are `InvalidParameter` naming `email`, `number`, `country_code` or the address
    key; nothing is committed here."""
    try:
        normalised = normalise_email(email)
    except InvalidEmail:
        raise InvalidParameter("email") from None
    existing = await _active_contact(session, institution_id, normalised)
    current = existing.lists if existing is not None else empty_lists()
    lists: dict[str, Any] = {}
    if address is not None:
        primary_id = current["billing"]["primary"]
        found = await by_uids(
            session,
            RelAddress,
            institution_id=institution_id,
            uids=[primary_id] if primary_id else [],
        )
        primary = found.get(primary_id) if primary_id else None
        if primary is None or not _address_matches(primary, address):
            primary = await create_address(
                session, institution_id=institution_id, fields=address, account_id=account_id
            )
        lists["billing"] = {"primary": primary.uid}
    if phone_e164 is not None:
        parsed = parse_phone(phone_e164, None)
        phone_id = current["phone_numbers"]["primary"]
        phone = (
            (
                await by_uids(
                    session, RelPhoneNumber, institution_id=institution_id, uids=[phone_id]
                )
            ).get(phone_id)
            if phone_id
            else None
        )
        if phone is None or phone.number != parsed.number:
            phone = await create_phone_number(
                session,
                institution_id=institution_id,
                number=parsed.number,
                country_code=None,
                account_id=account_id,
            )
        lists["phone_numbers"] = {"primary": phone.uid}
    upserted = await upsert_contact(
        session,
        institution_id=institution_id,
        email=normalised,
        fields={"given_name": given_name, "family_name": family_name, "is_guest": False},
        lists=lists,
        account_id=account_id,
    )
    return upserted.contact.uid


def _erase_row(row: Base, uid: str) -> None:
    """Overwrite every personal-data column of `row` with its erased value (an erased email
    becomes `deleted-<uid>@deleted.invalid`: unique, never deliverable)."""
    mapper = row.__mapper__
    for column in table_of(type(row)).columns:
        if not is_pii(column.info):
            continue
        erased = column.info.get(ERASED_KEY)
        value = f"deleted-{uid}@deleted.invalid" if erased == ERASED_EMAIL else erased
        setattr(row, mapper.get_property_by_column(column).key, value)


def _referenced(lists: dict[str, Any] | None) -> tuple[set[str], set[str]]:
    addresses: set[str] = set()
    phones: set[str] = set()
    for name in ID_LISTS:
        entry = (lists or {}).get(name) or {}
        ids = [entry.get("primary"), *(entry.get("secondary") or [])]
        (phones if name == "phone_numbers" else addresses).update(i for i in ids if i)
    return addresses, phones


async def _anonymise(session: AsyncSession, contact: RelContact) -> None:
    """Erase the contact's personal data: the row, every version, and every address and phone
    number any version pointed at (or that was written for the same consumer)."""
    versions = list(
        (
            await session.execute(
                select(RelContactVersion).where(RelContactVersion.contact_id == contact.id)
            )
        ).scalars()
    )
    addresses, phones = _referenced(contact.lists)
    for version in versions:
        found = _referenced(version.lists)
        addresses |= found[0]
        phones |= found[1]
        _erase_row(version, version.version)
    _erase_row(contact, contact.uid)
    for model, uids in ((RelAddress, addresses), (RelPhoneNumber, phones)):
        rows = await by_uids(session, model, institution_id=contact.institution_id, uids=uids)
        for row in rows.values():
            _erase_row(row, row.uid)  # type: ignore[attr-defined]
    contact.updated_at = utcnow()


async def anonymise_customer_contacts(
    session: AsyncSession, *, institution_id: int, account_id: int
) -> int:
    """Erase the personal data of every contact of the institution linked to the consumer
    `account_id` (see `_anonymise`), and of every address and phone number written for it;
    the contacts stay (readable, anonymised, same id). Answers how many contacts."""
    contacts = list(
        (
            await session.execute(
                select(RelContact)
                .where(
                    RelContact.institution_id == institution_id,
                    RelContact.account_id == account_id,
                )
                .order_by(RelContact.id)
            )
        ).scalars()
    )
    for contact in contacts:
        await _locked(session, contact)
        await _anonymise(session, contact)
    for model in (RelAddress, RelPhoneNumber):
        table = table_of(model)
        rows = await session.execute(
            select(model).where(
                table.c.institution_id == institution_id, table.c.account_id == account_id
            )
        )
        for row in rows.scalars():
            _erase_row(row, row.uid)  # type: ignore[attr-defined]
    await session.flush()
    return len(contacts)


# --- listing and search ----------------------------------------------------------------------


async def page(
    session: AsyncSession, statement: Select[Any], *, number: int, size: int
) -> tuple[list[Any], bool]:
    """One page (1-based) of `statement` and whether a next page exists."""
    rows = list(
        (await session.execute(statement.offset((number - 1) * size).limit(size + 1))).scalars()
    )
    return rows[:size], len(rows) > size


def active(model: type[RelContact] | type[RelOrganisation], institution_id: int) -> Select[Any]:
    return (
        select(model)
        .where(model.institution_id == institution_id, model.deleted_at.is_(None))
        .order_by(model.id)
    )


async def search_contacts(
    session: AsyncSession,
    *,
    institution_id: int,
    ids: Sequence[str] | None,
    emails: Sequence[str] | None,
) -> list[RelContact]:
    """The institution's contacts whose id is in `ids` and whose email is in `emails` (`None`:
    not constrained), oldest first."""
    statement = active(RelContact, institution_id)
    if ids is not None:
        statement = statement.where(RelContact.uid.in_(list(ids)))
    if emails is not None:
        statement = statement.where(RelContact.email.in_(list(emails)))
    if ids is None and emails is None:
        return []
    rows = await session.execute(statement.limit(MAX_SEARCH_VALUES))
    return list(rows.scalars())


async def count(session: AsyncSession, statement: Select[Any]) -> int:
    total = await session.execute(select(func.count()).select_from(statement.subquery()))
    return int(total.scalar_one())


# --- organisations ---------------------------------------------------------------------------


def _organisation_state(row: RelOrganisation | RelOrganisationVersion) -> dict[str, Any]:
    return {
        name: getattr(row, "details" if name == "metadata" else name)
        for name in (
            *ORGANISATION_FIELDS,
            "lists",
        )
    }


def _write_organisation_version(session: AsyncSession, organisation: RelOrganisation) -> None:
    now = utcnow()
    organisation.version = new_uid()
    organisation.updated_at = now
    state = _organisation_state(organisation)
    state["details"] = state.pop("metadata")
    session.add(
        RelOrganisationVersion(
            organisation_id=organisation.id,
            version=organisation.version,
            deleted_at=organisation.deleted_at,
            created_at=now,
            **state,
        )
    )


def _apply_organisation_fields(organisation: RelOrganisation, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name not in ORGANISATION_FIELDS:
            raise InvalidParameter(name)
        setattr(organisation, "details" if name == "metadata" else name, value)


async def create_organisation(
    session: AsyncSession, *, institution_id: int, fields: dict[str, Any], lists: dict[str, Any]
) -> RelOrganisation:
    now = utcnow()
    organisation = RelOrganisation(
        uid=new_uid(),
        institution_id=institution_id,
        version=new_uid(),
        tags=[],
        details={},
        registrations=[],
        lists=await resolve_lists(
            session,
            institution_id=institution_id,
            given=lists,
            current=None,
            with_organisations=False,
        ),
        created_at=now,
        updated_at=now,
    )
    _apply_organisation_fields(organisation, fields)
    session.add(organisation)
    await session.flush()
    _write_organisation_version(session, organisation)
    await session.flush()
    return organisation


async def _locked_organisation(
    session: AsyncSession, institution_id: int, uid: str
) -> RelOrganisation:
    organisation = await get_one(session, RelOrganisation, institution_id=institution_id, uid=uid)
    await lock_row(session, RelOrganisation, organisation.id)
    await session.refresh(organisation)
    if organisation.deleted_at is not None:
        raise NotFound()
    return organisation


async def update_organisation(
    session: AsyncSession,
    *,
    institution_id: int,
    uid: str,
    fields: dict[str, Any],
    lists: dict[str, Any],
) -> RelOrganisation:
    """Change the fields given; a new version unless nothing changed."""
    organisation = await _locked_organisation(session, institution_id, uid)
    before = _organisation_state(organisation)
    organisation.lists = await resolve_lists(
        session,
        institution_id=institution_id,
        given=lists,
        current=organisation.lists,
        with_organisations=False,
    )
    _apply_organisation_fields(organisation, fields)
    if _organisation_state(organisation) != before:
        _write_organisation_version(session, organisation)
    await session.flush()
    return organisation


async def delete_organisation(
    session: AsyncSession, *, institution_id: int, uid: str
) -> RelOrganisation:
    """Mark the organisation deleted (a last version records it); it is no longer found, but
    contacts pinned to one of its versions still show that version."""
    organisation = await _locked_organisation(session, institution_id, uid)
    organisation.deleted_at = utcnow()
    _write_organisation_version(session, organisation)
    await session.flush()
    return organisation


async def organisation_version(
    session: AsyncSession, organisation: RelOrganisation, version: str | None
) -> RelOrganisation | RelOrganisationVersion:
    if version is None or version == organisation.version:
        return organisation
    snapshot = (
        await session.execute(
            select(RelOrganisationVersion).where(
                RelOrganisationVersion.organisation_id == organisation.id,
                RelOrganisationVersion.version == version,
            )
        )
    ).scalar_one_or_none()
    if snapshot is None:
        raise NotFound()
    return snapshot
