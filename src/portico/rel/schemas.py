"""The `rel` bodies, named and shaped as Afosto's schemas (`RelContact`, `RelOrganisation`,
`RelAddress`, `RelPhoneNumber`, `RelVersion`, `RelSearch`, `RelFieldList`, ...): snake_case
keys, bare JSON, every documented field present (null when unset), times as ISO 8601 UTC.

Requests are strict JSON (no `"true"` for a boolean) and ignore unknown keys, as every Portico
request body does."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from portico.email_address import EmailAddress

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=300)]
Short = Annotated[str, StringConstraints(max_length=32)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=64)]
CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2}$"),
    Field(description="Two letter country code (ISO 3166-1 alpha-2)", examples=["NL"]),
]
Metadata = Annotated[
    dict[Annotated[str, StringConstraints(max_length=64)], Annotated[str, Field(max_length=1000)]],
    Field(max_length=50, description="additional metadata that applies to the item"),
]
Tags = Annotated[list[Tag], Field(max_length=50)]


class RelIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class RelOut(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests --------------------------------------------------------------------------------


class RelIdList(RelIn):
    """`RelContactUpdateBilling` / `...Shipping` / `...PhoneNumbers`: ids of addresses or
    phone numbers created before."""

    primary: Id | None = None
    secondary: Annotated[list[Id], Field(max_length=100)] = []


class RelOrganisationRef(RelIn):
    """`RelContactUpdateOrganisationsPrimary`: an organisation, pinned to a version (its
    current one when `version` is left out)."""

    id: Id
    version: Id | None = None


class RelContactUpdateOrganisations(RelIn):
    primary: RelOrganisationRef | None = None
    secondary: Annotated[list[RelOrganisationRef], Field(max_length=100)] = []


class RelContactUpdate(RelIn):
    """`PUT /rel/contacts`: the contact with this `email` is created or updated. Fields left
    out keep their value; a list given replaces its `primary` and moves the old primary to the
    front of `secondary` (the `secondary` given is added)."""

    email: EmailAddress
    is_guest: bool = False
    audience: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "default"
    tags: Tags = []
    given_name: Text | None = Field(None, description="First name")
    additional_name: Text | None = Field(None, description="Patronymic")
    family_name: Text | None = Field(None, description="Last name")
    organisations: RelContactUpdateOrganisations | None = None
    billing: RelIdList | None = None
    shipping: RelIdList | None = None
    phone_numbers: RelIdList | None = None
    metadata: Metadata | None = None


class RelConstraint(RelIn):
    """Contact search: `key` `id` (or `email`), `operator` `in`, and **`value`** (singular,
    as documented)."""

    key: Literal["id", "email"]
    operator: Literal["in"]
    value: Annotated[list[Annotated[str, StringConstraints(max_length=320)]], Field(max_length=100)]


class RelSearch(RelIn):
    """Every constraint must hold (they are combined with AND)."""

    constraints: Annotated[list[RelConstraint], Field(min_length=1, max_length=10)]


class RelIdsConstraint(RelIn):
    """`RelAddressSearchConstraint`, `RelPhoneNumberSearchConstraint`,
    `RelOrganisationSearchConstraint`."""

    key: Literal["ids"]
    operator: Literal["in"]
    values: Annotated[list[Id], Field(max_length=100)]


class RelIdsSearch(RelIn):
    """`RelAddressSearch`, `RelPhoneNumberSearch`, `RelOrganisationSearch`."""

    constraints: Annotated[list[RelIdsConstraint], Field(min_length=1, max_length=10)]


class RelAddressModel(RelIn):
    country_code: CountryCode
    administrative_area: Text | None = Field(
        None, description="The state or province name or abbreviation (optional)"
    )
    locality: Text | None = Field(None, description="City")
    dependent_locality: Text | None = Field(
        None, description="Additional information about the locality (optional)"
    )
    postal_code: Short | None = Field(
        None, description="The complete postal code for the delivery point"
    )
    sorting_code: Short | None = Field(
        None, description="Allow sorting, for example to route mail (optional)"
    )
    address_line_1: LongText | None = Field(None, description="The first address line")
    address_line_2: LongText | None = Field(None, description="The second address line (optional)")
    thoroughfare: LongText | None = None
    premise_number: Annotated[int, Field(ge=0, le=2_000_000_000)] | None = None
    premise_number_suffix: Short | None = None
    organisation: LongText | None = Field(
        None,
        description="The name of the recipient, firm, or company at this address (optional)",
    )
    given_name: Text | None = Field(None, description="First name")
    additional_name: Text | None = Field(None, description="Patronymic")
    family_name: Text | None = Field(None, description="Last name")


class RelPhoneNumberModel(RelIn):
    """A number written nationally (with `country_code`) or internationally (`+...`)."""

    country_code: CountryCode | None = None
    number: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="The actual phonenumber"
    )


class RelVatRegistrationModel(RelIn):
    country_code: CountryCode
    number: Annotated[str, StringConstraints(min_length=1, max_length=32)]


class RelOrganisationUpdateAdministration(RelIn):
    email: EmailAddress | None = None


class RelPostPaymentIn(RelIn):
    spending_limit: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    current_due_amount: Annotated[int, Field(ge=0, le=2**53)] | None = None
    due_after: Annotated[int, Field(ge=0, le=3650)] | None = None
    iban: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")]],
        Field(max_length=10),
    ] = []


class RelInvoiceSettings(RelIn):
    is_expected_through_post_mail: bool = False
    is_expected_through_email: bool = False
    is_expected_at_delivery: bool = False


class RelPaymentSettingsIn(RelIn):
    post_payment: RelPostPaymentIn | None = None
    invoice: RelInvoiceSettings | None = None


class RelOrganisationUpdateModel(RelIn):
    """`POST /rel/organisations` and `PUT /rel/organisations/{id}`. On update, fields left out
    keep their value and lists behave as a contact's."""

    name: LongText | None = Field(
        None,
        description="The name of the recipient, firm, or company at this address (optional)",
    )
    file_id: Id | None = Field(None, description="The file_id ( logo ) of the organisation")
    coc_number: Short | None = None
    account_manager: Text | None = None
    tags: Tags = []
    metadata: Metadata | None = None
    registrations: Annotated[list[RelVatRegistrationModel], Field(max_length=20)] = []
    payment_settings: RelPaymentSettingsIn | None = None
    billing: RelIdList | None = None
    shipping: RelIdList | None = None
    phone_numbers: RelIdList | None = None
    administration: RelOrganisationUpdateAdministration | None = None


# --- answers ---------------------------------------------------------------------------------


class RelPoint(RelOut):
    lat: float
    long: float


class RelGeolocationBox(RelOut):
    north_east: RelPoint
    south_west: RelPoint


class RelGeolocationAddress(RelOut):
    premise_number: int | None
    premise_number_suffix: str | None
    thoroughfare: str | None
    postal_code: str | None
    locality: str | None
    administrative_area: str | None
    country_code: str | None


class RelGeoLocation(RelOut):
    lat: float
    long: float
    box: RelGeolocationBox | None
    is_precise: bool
    address: RelGeolocationAddress | None


class RelAddress(RelOut):
    """An address; `geo_location` is always null (no geocoding provider)."""

    id: str
    country_code: str
    administrative_area: str | None
    locality: str | None
    dependent_locality: str | None
    postal_code: str | None
    sorting_code: str | None
    address_line_1: str | None
    address_line_2: str | None
    thoroughfare: str | None
    premise_number: int | None
    premise_number_suffix: str | None
    organisation: str | None
    given_name: str | None
    additional_name: str | None
    family_name: str | None
    geo_location: RelGeoLocation | None
    created_at: datetime


class RelPhoneNumber(RelOut):
    id: str
    country_code: str = Field(description="Two letter country code")
    number: str | None = Field(description="The actual phonenumber formatted as E164")
    national: str | None = Field(description="The actual phonenumber formatted as national number")
    type: (
        Literal["fixed_number", "mobile", "toll-free", "premium", "shared_cost", "voip", "personal"]
        | None
    )
    created_at: datetime


class RelAddressList(RelOut):
    primary: RelAddress | None
    secondary: list[RelAddress]


class RelPhoneNumberList(RelOut):
    primary: RelPhoneNumber | None
    secondary: list[RelPhoneNumber]


class RelAdministration(RelOut):
    email: str | None


class RelVatRegistrationVerification(RelOut):
    """Registrations are not verified (no VIES client): `is_pending` stays true."""

    is_pending: bool
    is_valid: bool
    country_code: str | None
    name: str | None
    type: str | None
    metadata: dict[str, str] | None
    verified_at: datetime | None


class RelVatRegistration(RelOut):
    country_code: str
    number: str
    verification: RelVatRegistrationVerification


class RelPostPayment(RelOut):
    spending_limit: int | None
    current_due_amount: int | None
    due_after: int | None
    iban: list[str]


class RelInvoiceSettingsOut(RelOut):
    is_expected_through_post_mail: bool
    is_expected_through_email: bool
    is_expected_at_delivery: bool


class RelOrganisationPaymentSettings(RelOut):
    post_payment: RelPostPayment | None
    invoice: RelInvoiceSettingsOut | None


class RelOrganisation(RelOut):
    id: str
    version: str
    name: str | None = Field(
        description="The name of the recipient, firm, or company at this address (optional)"
    )
    file_id: str | None = Field(description="The file_id ( logo ) of the organisation")
    coc_number: str | None
    account_manager: str | None
    administration: RelAdministration
    tags: list[str]
    metadata: dict[str, str]
    registrations: list[RelVatRegistration]
    payment_settings: RelOrganisationPaymentSettings
    phone_numbers: RelPhoneNumberList
    billing: RelAddressList
    shipping: RelAddressList
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class RelOrganisationList(RelOut):
    primary: RelOrganisation | None
    secondary: list[RelOrganisation]


class RelContact(RelOut):
    id: str
    version: str
    email: str | None = Field(description="The upsert key; null in an erased old version")
    is_guest: bool
    audience: str
    tags: list[str]
    given_name: str | None = Field(description="First name")
    additional_name: str | None = Field(description="Patronymic")
    family_name: str | None = Field(description="Last name")
    organisations: RelOrganisationList
    billing: RelAddressList
    shipping: RelAddressList
    phone_numbers: RelPhoneNumberList
    metadata: dict[str, str] = Field(description="additional metadata that applies to the item")
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class RelVersion(RelOut):
    version: str
    created_at: datetime


class RelFieldList(RelOut):
    required: list[str]
    allowed: list[str]
    country_code: str = Field(description="Country code that was used for the query")
