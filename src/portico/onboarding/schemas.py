"""Onboarding API bodies: camelCase JSON, and one answer shape for every case of every route,
`{"code", "message", "fields", "data"}`: a business `code` (several failures are HTTP 200),
its `message`, the request `fields` the answer is about (empty unless a field is refused) and
`data` (the customer, or null)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
)
from pydantic.alias_generators import to_camel

from portico.envelope import UtcDateTime, WireModel
from portico.onboarding.masterdata import GENDERS, KYC_LEVELS, SCREENING_STATUSES
from portico.onboarding.models import Subscription

if TYPE_CHECKING:
    from portico.onboarding.customers import Customer, Onboarded


@dataclass(frozen=True, slots=True)
class Case:
    """One documented response case: its business code, message and HTTP status."""

    code: str
    message: str
    status: int


# --- the cases, per API (the onboarding document's tables) ------------------------------------

SUCCESS = Case("SUCCESS", "Success", 200)
# Customer lookup: every business outcome is HTTP 200.
LOOKUP_NOT_FOUND = Case(
    "CUSTOMER_NOT_FOUND", "No customer of this partner has this ID document", 200
)
LOOKUP_PENDING = Case(
    "SUBSCRIPTION_PENDING", "The customer's subscription awaits its first sign-in", 200
)
LOOKUP_BAD_REQUEST = Case("BAD_REQUEST", "Invalid request fields", 200)
LOOKUP_INTERNAL = Case("INTERNAL_ERROR", "Internal server error", 200)
LOOKUP_INVESTIGATION = Case(
    "UNDER_INVESTIGATION", "The customer is under compliance investigation", 200
)
LOOKUP_BLOCKED = Case("BLOCKED", "The customer is blocked", 200)
# Customer onboarding.
ONBOARD_INVESTIGATION = Case(
    "UNDER_INVESTIGATION", "The customer is under compliance investigation", 406
)
ONBOARD_BLOCKED = Case("BLOCKED", "The customer is blocked", 406)
INVALID_MASTER_DATA = Case("INVALID_MASTER_DATA", "Values not in the reference lists", 400)
MANDATORY_FIELD_MISSING = Case("MANDATORY_FIELD_MISSING", "Mandatory fields are missing", 400)
INVALID_FIELD_VALUE = Case("INVALID_FIELD_VALUE", "Invalid field values", 400)
CUSTOMER_UPDATE_FAILED = Case(
    "CUSTOMER_UPDATE_FAILED",
    "The update would change a verified identity or collide with another customer",
    409,
)
ONBOARD_INTERNAL = Case("INTERNAL_ERROR", "Internal server error", 502)
# Subscription status.
STATUS_NOT_SUBSCRIBED = Case(
    "CUSTOMER_NOT_SUBSCRIBED", "The customer is not subscribed to this partner", 200
)
STATUS_NOT_FOUND = Case("CUSTOMER_NOT_FOUND", "No such customer", 200)
STATUS_BAD_REQUEST = Case("BAD_REQUEST", "Invalid request fields", 400)
STATUS_INTERNAL = Case("INTERNAL_ERROR", "Internal server error", 500)


# --- requests ---------------------------------------------------------------------------------


class OnboardingRequest(BaseModel):
    """camelCase keys; an unknown key is refused (a misspelt field is never silently lost).
    Every field may be absent or null as far as JSON types go: which are mandatory is checked
    by the service, so the answer names every missing one at once."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, strict=True, extra="forbid"
    )


def _iso_date(value: Any) -> Any:
    """Dates are `YYYY-MM-DD` strings (nothing else: no numbers, no times)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("a date as YYYY-MM-DD") from None


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    Field(json_schema_extra={"type": "string", "format": "date"}),
]


Name = Annotated[str, StringConstraints(max_length=100)]
Code = Annotated[str, StringConstraints(max_length=64)]
Line = Annotated[str, StringConstraints(max_length=200)]
PostalCode = Annotated[str, StringConstraints(max_length=20)]
EmailText = Annotated[str, StringConstraints(max_length=320)]
PhoneText = Annotated[str, StringConstraints(max_length=40)]
# A base64 image: 4 MiB decoded is about 5.6 million characters.
Image = Annotated[str, StringConstraints(max_length=6_000_000)]


class CustomerLookupIn(OnboardingRequest):
    """Find a customer by its ID document."""

    id_type: Code | None = Field(
        None, description="The ID document type, one of the institution's (`PASSPORT`, …)"
    )
    id_number: Code | None = Field(
        None,
        description="The document number; compared without spaces, dashes, dots or slashes, "
        "case-insensitively",
    )
    id_country: Code | None = Field(
        None, description="The issuing country, ISO 3166-1 alpha-2 or alpha-3"
    )

    model_config = ConfigDict(json_schema_extra={"required": ["idType", "idNumber", "idCountry"]})


class AddressIn(OnboardingRequest):
    line1: Line | None = Field(None, description="Street and number (mandatory)")
    line2: Line | None = Field(None, description="Flat, building, care-of (optional)")
    city: Name | None = Field(None, description="City or locality (mandatory)")
    region: Name | None = Field(None, description="State, province or region (optional)")
    postal_code: PostalCode | None = Field(None, description="Postal code (optional)")
    country: Code | None = Field(None, description="ISO 3166-1 alpha-2 or alpha-3 (mandatory)")

    model_config = ConfigDict(json_schema_extra={"required": ["line1", "city", "country"]})


# The mandatory fields of an onboarding, in the order a refusal names them.
MANDATORY: tuple[str, ...] = (
    "givenName",
    "familyName",
    "dateOfBirth",
    "nationality",
    "idType",
    "idNumber",
    "idCountry",
    "idExpiryDate",
    "email",
    "phone",
    "address",
    "kycLevel",
    "screeningStatus",
    "idFrontImage",
    "faceImage",
)


class CustomerOnboardingIn(OnboardingRequest):
    """A customer the partner has KYC'd, with its documents."""

    partner_kyc_reference: Name | None = Field(
        None, description="The partner's own reference of its KYC file (optional)"
    )
    given_name: Name | None = Field(None, description="Given names, as on the document")
    middle_name: Name | None = Field(None, description="Middle names (optional)")
    family_name: Name | None = Field(None, description="Family name, as on the document")
    date_of_birth: IsoDate | None = Field(None, description="YYYY-MM-DD, in the past")
    gender: Code | None = Field(None, description=f"Optional: {', '.join(GENDERS)}")
    nationality: Code | None = Field(None, description="ISO 3166-1 alpha-2 or alpha-3")
    id_type: Code | None = Field(None, description="One of the institution's ID types")
    id_number: Code | None = Field(None, description="The document number (stored encrypted)")
    id_country: Code | None = Field(
        None, description="The document's issuing country, ISO 3166-1 alpha-2 or alpha-3"
    )
    id_issue_date: IsoDate | None = Field(None, description="YYYY-MM-DD (optional)")
    id_expiry_date: IsoDate | None = Field(None, description="YYYY-MM-DD, after today")
    email: EmailText | None = Field(
        None, description="Where the activation mail goes; the customer's sign-in name"
    )
    phone: PhoneText | None = Field(
        None,
        description="International (`+33 6 12 34 56 78`) or national in the address's "
        "country; stored as E.164",
    )
    address: AddressIn | None = None
    kyc_level: Code | None = Field(None, description=f"{', '.join(KYC_LEVELS)}")
    screening_status: Code | None = Field(
        None, description=f"The partner's sanctions/PEP screening: {', '.join(SCREENING_STATUSES)}"
    )
    id_front_image: Image | None = Field(
        None, description="Base64 of the document's front: JPEG, PNG or PDF, 4 MiB at most"
    )
    id_back_image: Image | None = Field(
        None, description="Base64 of the document's back (optional; passports have none)"
    )
    face_image: Image | None = Field(
        None, description="Base64 of the customer's face: JPEG or PNG, 4 MiB at most"
    )
    extra_data: dict[str, Any] | None = Field(
        None, description="Country-specific data, kept as given (8 KiB of JSON at most)"
    )

    model_config = ConfigDict(json_schema_extra={"required": list(MANDATORY)})


# --- answers ----------------------------------------------------------------------------------


class SubscriptionOut(WireModel):
    subscription_id: str
    status: Literal["PENDING", "ACTIVE"]
    created_at: UtcDateTime
    activated_at: UtcDateTime | None

    @classmethod
    def from_row(cls, row: Subscription) -> SubscriptionOut:
        return cls(
            subscription_id=row.biz_id,
            status=row.status.value,
            created_at=row.created_at,
            activated_at=row.activated_at,
        )


class CustomerOut(WireModel):
    customer_id: str = Field(description="The consumer's id (its consumerId in the issuer API)")
    customer_status: Literal["ACTIVE", "SUSPENDED", "UNDER_INVESTIGATION", "BLOCKED"]
    kyc_level: str
    screening_status: str
    subscription: SubscriptionOut

    @staticmethod
    def fields_of(customer: Customer) -> dict[str, Any]:
        return {
            "customer_id": customer.account.biz_id,
            "customer_status": customer.status,
            "kyc_level": customer.profile.kyc_level,
            "screening_status": customer.profile.screening_status,
            "subscription": SubscriptionOut.from_row(customer.subscription),
        }

    @classmethod
    def from_customer(cls, customer: Customer) -> CustomerOut:
        return cls(**cls.fields_of(customer))


class OnboardingOut(CustomerOut):
    created: bool = Field(description="A new customer (else a known one, updated)")
    activation_mail_sent: bool = Field(
        description="An activation mail (a single-use link to set a password) went out"
    )

    @classmethod
    def from_onboarded(cls, onboarded: Onboarded) -> OnboardingOut:
        return cls(
            **cls.fields_of(onboarded.customer),
            created=onboarded.created,
            activation_mail_sent=onboarded.activation_mail_sent,
        )


def answer_model(name: str, cases: list[Case], data: type[BaseModel] | None) -> type[BaseModel]:
    """The answer of some cases: the one shape, `code` limited to theirs."""
    codes = tuple(dict.fromkeys(case.code for case in cases))
    data_type: Any = (data | None) if data is not None else None
    return create_model(
        name,
        __config__=ConfigDict(extra="forbid"),
        code=(Literal[codes], ...),  # type: ignore[arg-type]
        message=(str, ...),
        fields=(list[str], Field(description="The request fields this answer is about")),
        data=(data_type, ...),
    )


def body(
    case: Case, data: BaseModel | None = None, fields: list[str] | None = None
) -> dict[str, Any]:
    return {
        "code": case.code,
        "message": case.message,
        "fields": list(fields or []),
        "data": data.model_dump(mode="json", by_alias=True) if data is not None else None,
    }


def responses(
    route: str, *cases: Case, data: dict[int, type[BaseModel]] | None = None
) -> dict[int | str, Any]:
    """The OpenAPI `responses` of a route: per status, its cases' answer model and list."""
    by_status: dict[int, list[Case]] = {}
    for case in cases:
        by_status.setdefault(case.status, []).append(case)
    found: dict[int | str, Any] = {}
    for status, group in sorted(by_status.items()):
        codes = "; ".join(f"`{c.code}` {c.message}" for c in group)
        found[status] = {
            "model": answer_model(f"{route}Answer{status}", group, (data or {}).get(status)),
            "description": codes,
        }
    return found
