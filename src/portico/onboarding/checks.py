"""An onboarding request read and checked: the documented failure cases, decided before
anything is kept, and the values the service stores (`Checked`, `Document`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from portico.crypto import BlindIndex
from portico.db import utcnow
from portico.email_address import InvalidEmail, normalise_email
from portico.files.filetypes import JPEG, PDF, PNG, sniff
from portico.institutions.models import Institution
from portico.onboarding import masterdata
from portico.onboarding import schemas as s

EXTRA_DATA_MAX_BYTES = 8192
ID_NUMBER_MAX = 40
_EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}
IMAGE_TYPES = {
    "idFrontImage": ("KYC_ID_FRONT", frozenset({JPEG, PNG, PDF})),
    "idBackImage": ("KYC_ID_BACK", frozenset({JPEG, PNG, PDF})),
    "faceImage": ("KYC_FACE", frozenset({JPEG, PNG})),
}


class Refusal(Exception):
    """A documented failure case, decided before anything is kept (the route rolls back)."""

    def __init__(self, case: s.Case, fields: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(case.code)
        self.case = case
        self.fields = list(dict.fromkeys(fields))


@dataclass(frozen=True, slots=True)
class Document:
    """An ID document as it is indexed."""

    id_type: str
    id_country: str
    number: str


@dataclass(frozen=True, slots=True)
class Image:
    kind: str
    content_type: str
    data: bytes
    sha256: str

    @property
    def file_name(self) -> str:
        return self.kind.lower() + _EXTENSIONS[self.content_type]


# --- reading and checking requests -------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _missing(body: s.CustomerOnboardingIn) -> list[str]:
    missing = [field for field in s.MANDATORY if _blank(getattr(body, _attribute(field)))]
    if body.address is not None:
        missing += [
            f"address.{field}"
            for field in ("line1", "city", "country")
            if _blank(getattr(body.address, field))
        ]
    return missing


def _attribute(field: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in field)


def _document(
    institution: Institution, id_type: str, id_country: str, number: str, bad: list[str]
) -> Document | None:
    kind = id_type.strip().upper()
    if kind not in masterdata.id_types(institution.id_types):
        bad.append("idType")
    country = masterdata.country(id_country)
    if country is None:
        bad.append("idCountry")
    normalised = masterdata.normalise_id_number(number)
    if not normalised or len(normalised) > ID_NUMBER_MAX:
        bad.append("idNumber")
    if bad or country is None:
        return None
    return Document(kind, country, normalised)


def blind_index(blind: BlindIndex, institution: Institution, document: Document) -> str:
    return blind.digest(
        "id-document", str(institution.id), document.id_type, document.id_country, document.number
    )


def _image(field: str, value: str | None, max_bytes: int, bad: list[str]) -> Image | None:
    if value is None:
        return None
    try:
        data = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        bad.append(field)
        return None
    kind, allowed = IMAGE_TYPES[field]
    content_type = sniff(data[:8])
    if not data or len(data) > max_bytes or content_type not in allowed:
        bad.append(field)
        return None
    return Image(kind, content_type, data, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True, slots=True)
class Checked:
    """An onboarding request that passed every check, in the forms it is stored in."""

    document: Document
    email: str
    phone: str
    nationality: str
    gender: str | None
    kyc_level: str
    screening_status: str
    address: dict[str, Any]
    images: list[Image]
    # Stored as given:
    given_name: str | None
    middle_name: str | None
    family_name: str | None
    date_of_birth: date | None
    id_number: str  # as written (stripped), sealed
    id_issue_date: date | None
    id_expiry_date: date | None
    partner_kyc_reference: str | None
    extra_data: dict[str, Any] | None


def check_onboarding(
    institution: Institution, body: s.CustomerOnboardingIn, *, image_max_bytes: int
) -> Checked:
    """Mandatory fields first (all named at once), then the reference lists, then values."""
    missing = _missing(body)
    if missing:
        raise Refusal(s.MANDATORY_FIELD_MISSING, missing)
    assert body.address is not None  # noqa: S101 - checked above (for the type checker)
    master: list[str] = []
    nationality = masterdata.country(body.nationality or "")
    if nationality is None:
        master.append("nationality")
    document = _document(
        institution, body.id_type or "", body.id_country or "", body.id_number or "", master
    )
    if "idNumber" in master:
        master.remove("idNumber")  # a malformed number is a bad value, not master data
    address_country = masterdata.country(body.address.country or "")
    if address_country is None:
        master.append("address.country")
    gender = body.gender.strip().upper() if body.gender and body.gender.strip() else None
    if gender is not None and gender not in masterdata.GENDERS:
        master.append("gender")
    kyc_level = (body.kyc_level or "").strip().upper()
    if kyc_level not in masterdata.KYC_LEVELS:
        master.append("kycLevel")
    screening = (body.screening_status or "").strip().upper()
    if screening not in masterdata.SCREENING_STATUSES:
        master.append("screeningStatus")
    phone = masterdata.phone_e164(body.phone or "", address_country)
    if phone is None:
        master.append("phone")
    if master:
        raise Refusal(s.INVALID_MASTER_DATA, master)

    bad: list[str] = []
    if document is None:
        bad.append("idNumber")
    try:
        email = normalise_email(body.email or "")
    except InvalidEmail:
        bad.append("email")
        email = ""
    today = utcnow().date()
    if body.date_of_birth is not None and not date(1900, 1, 1) <= body.date_of_birth < today:
        bad.append("dateOfBirth")
    if body.id_expiry_date is not None and body.id_expiry_date <= today:
        bad.append("idExpiryDate")
    if body.id_issue_date is not None and (
        body.id_issue_date > today
        or (body.id_expiry_date is not None and body.id_issue_date >= body.id_expiry_date)
    ):
        bad.append("idIssueDate")
    if body.extra_data is not None and len(json.dumps(body.extra_data)) > EXTRA_DATA_MAX_BYTES:
        bad.append("extraData")
    images = [
        image
        for field in IMAGE_TYPES
        if (image := _image(field, getattr(body, _attribute(field)), image_max_bytes, bad))
    ]
    if bad or document is None or phone is None or nationality is None:
        raise Refusal(s.INVALID_FIELD_VALUE, bad)
    assert address_country is not None  # noqa: S101 - checked with the master data
    address = {
        "country_code": address_country,
        "address_line_1": body.address.line1,
        "address_line_2": body.address.line2,
        "locality": body.address.city,
        "administrative_area": body.address.region,
        "postal_code": body.address.postal_code,
        "given_name": body.given_name,
        "family_name": body.family_name,
    }
    return Checked(
        document=document,
        email=email,
        phone=phone,
        nationality=nationality,
        gender=gender,
        kyc_level=kyc_level,
        screening_status=screening,
        address={key: value.strip() for key, value in address.items() if value},
        images=images,
        given_name=body.given_name,
        middle_name=body.middle_name,
        family_name=body.family_name,
        date_of_birth=body.date_of_birth,
        id_number=(body.id_number or "").strip(),
        id_issue_date=body.id_issue_date,
        id_expiry_date=body.id_expiry_date,
        partner_kyc_reference=body.partner_kyc_reference,
        extra_data=body.extra_data,
    )


def check_lookup(institution: Institution, body: s.CustomerLookupIn) -> Document:
    """Every field is mandatory; a type or country not in the lists is a bad request too."""
    missing = [
        field
        for field, value in (
            ("idType", body.id_type),
            ("idNumber", body.id_number),
            ("idCountry", body.id_country),
        )
        if _blank(value)
    ]
    if missing:
        raise Refusal(s.LOOKUP_BAD_REQUEST, missing)
    bad: list[str] = []
    document = _document(
        institution, body.id_type or "", body.id_country or "", body.id_number or "", bad
    )
    if document is None:
        raise Refusal(s.LOOKUP_BAD_REQUEST, bad)
    return document
