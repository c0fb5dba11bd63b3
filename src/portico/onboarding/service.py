"""Onboarding: find a customer by its ID document, enrol (or update) one in a single
transaction, read its subscription to a partner, and the issuer's compliance flags.

A customer is a consumer account with a KYC profile. Its ID number is sealed (Fernet) and found
through a keyed blind index, unique per institution: the database holds "one customer per
document" whatever runs in parallel, and onboardings of one document or one email run one at a
time (`_serialise`), so the same payload sent twice or twenty times at once creates one
customer and answers the same. Nothing here logs a request's values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.auth.models import PasswordResetToken
from portico.crypto import BlindIndex
from portico.db import after_commit, lock_row, on_rollback, utcnow
from portico.email_address import InvalidEmail, normalise_email
from portico.enums import AccountPortal, AccountStatus
from portico.errors import InvalidParameter, NotFound
from portico.files.filetypes import JPEG, PDF, PNG, sniff
from portico.files.models import StoredFile
from portico.files.service import new_storage_key
from portico.flows import accounts as account_flows
from portico.ids import new_biz_id, new_token
from portico.institutions.models import Institution
from portico.issuer import audit
from portico.mail.sender import send_after_commit
from portico.onboarding import emails, masterdata
from portico.onboarding import schemas as s
from portico.onboarding.customers import Customer, Onboarded
from portico.onboarding.models import (
    ComplianceStatus,
    KycProfile,
    Subscription,
    SubscriptionStatus,
)
from portico.rel import service as rel_service
from portico.security.kit import AuthKit
from portico.storage.base import Storage
from portico.tenancy import across_workspaces, scoped
from portico.workspaces.models import Workspace, WorkspaceMember

# Not an argon2 hash: nothing verifies against it until the customer sets its password from
# the activation mail.
NO_PASSWORD_YET = "!onboarded"  # noqa: S105
EXTRA_DATA_MAX_BYTES = 8192
ID_NUMBER_MAX = 40
IMAGE_TYPES = {
    "idFrontImage": ("KYC_ID_FRONT", frozenset({JPEG, PNG, PDF})),
    "idBackImage": ("KYC_ID_BACK", frozenset({JPEG, PNG, PDF})),
    "faceImage": ("KYC_FACE", frozenset({JPEG, PNG})),
}
_EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}
# The fields of a verified identity: a known customer's cannot be changed by onboarding.
IDENTITY_FIELDS = ("givenName", "middleName", "familyName", "dateOfBirth", "nationality")
CROSS = "onboarding: customers are the institution's, across workspaces"


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


# --- reading customers ----------------------------------------------------------------------


async def _profile_by_index(
    session: AsyncSession, institution_id: int, index: str
) -> tuple[KycProfile, Account] | None:
    row = (
        await session.execute(
            select(KycProfile, Account)
            .join(Account, Account.id == KycProfile.account_id)
            .where(KycProfile.institution_id == institution_id, KycProfile.id_blind_index == index)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def _subscription(
    session: AsyncSession, account_id: int, workspace_id: int
) -> Subscription | None:
    return (
        await session.execute(
            select(Subscription).where(
                Subscription.account_id == account_id,
                Subscription.partner_workspace_id == workspace_id,
            )
        )
    ).scalar_one_or_none()


async def lookup(
    session: AsyncSession,
    blind: BlindIndex,
    *,
    institution: Institution,
    workspace: Workspace,
    body: s.CustomerLookupIn,
) -> tuple[s.Case, Customer | None]:
    """The customer with this document *as this partner sees it*: a customer not subscribed
    to the partner is not found, exactly as one that does not exist."""
    document = check_lookup(institution, body)
    found = await _profile_by_index(
        session, institution.id, blind_index(blind, institution, document)
    )
    row = await _subscription(session, found[1].id, workspace.id) if found else None
    if found is None or row is None or found[1].status == AccountStatus.DELETED:
        return s.LOOKUP_NOT_FOUND, None
    profile, account = found
    if profile.compliance_status == ComplianceStatus.UNDER_INVESTIGATION:
        return s.LOOKUP_INVESTIGATION, None
    if profile.compliance_status == ComplianceStatus.BLOCKED:
        return s.LOOKUP_BLOCKED, None
    customer = Customer(profile, account, row)
    if row.status == SubscriptionStatus.PENDING:
        return s.LOOKUP_PENDING, customer
    return s.SUCCESS, customer


async def subscription_status(
    session: AsyncSession, *, institution: Institution, workspace: Workspace, customer_id: str
) -> tuple[s.Case, Customer | None]:
    """The customer's subscription to this partner, by the customerId the partner was given
    (at onboarding, or by the customer itself)."""
    found = (
        await session.execute(
            select(KycProfile, Account)
            .join(Account, Account.id == KycProfile.account_id)
            .where(
                Account.biz_id == customer_id[:16],
                Account.institution_id == institution.id,
                Account.portal == AccountPortal.CONSUMER,
                Account.status != AccountStatus.DELETED,
            )
        )
    ).first()
    if found is None:
        return s.STATUS_NOT_FOUND, None
    profile, account = found
    row = await _subscription(session, account.id, workspace.id)
    if row is None:
        return s.STATUS_NOT_SUBSCRIBED, None
    return s.SUCCESS, Customer(profile, account, row)


# --- onboarding --------------------------------------------------------------------------------


def _lock_key(value: str) -> int:
    return int.from_bytes(hashlib.sha256(value.encode()).digest()[:8], "big", signed=True)


async def _serialise(session: AsyncSession, institution_id: int, keys: list[str]) -> None:
    """One onboarding at a time per document and per email.

    PostgreSQL: transaction-scoped advisory locks on the keys, in one order (no deadlock).
    SQLite has one writer at a time and the first write of a transaction takes the database's
    write lock, so a no-op write is the lock; the reads after it see every commit."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            text("UPDATE institutions SET name = name WHERE id = :id"), {"id": institution_id}
        )
        return
    for key in sorted({_lock_key(f"onboarding:{institution_id}:{k}") for k in keys}):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _same(a: Any, b: Any) -> bool:
    def norm(value: Any) -> Any:
        if isinstance(value, str):
            return unicodedata.normalize("NFKC", value).strip().casefold() or None
        return value

    return bool(norm(a) == norm(b))


def _identity_changes(
    profile: KycProfile, account: Account, body: s.CustomerOnboardingIn, checked: Checked
) -> list[str]:
    stored = {
        "givenName": profile.given_name,
        "middleName": profile.middle_name,
        "familyName": profile.family_name,
        "dateOfBirth": profile.birth_date,
        "nationality": profile.nationality,
    }
    given = {
        "givenName": body.given_name,
        "middleName": body.middle_name,
        "familyName": body.family_name,
        "dateOfBirth": body.date_of_birth,
        "nationality": checked.nationality,
    }
    changed = [field for field in IDENTITY_FIELDS if not _same(stored[field], given[field])]
    if account.email != checked.email:
        changed.append("email")
    return changed


async def _consumer_by_email(
    session: AsyncSession, institution_id: int, email: str
) -> Account | None:
    return (
        await session.execute(
            select(Account).where(
                Account.institution_id == institution_id,
                Account.portal == AccountPortal.CONSUMER,
                Account.email == email,
            )
        )
    ).scalar_one_or_none()


async def _has_profile(session: AsyncSession, account_id: int) -> bool:
    found = await session.execute(select(KycProfile.id).where(KycProfile.account_id == account_id))
    return found.first() is not None


async def _own_workspace(session: AsyncSession, account_id: int) -> Workspace:
    """The consumer's default (LIVE) workspace: its document images are its files."""
    return (
        await session.execute(
            across_workspaces(
                select(Workspace)
                .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
                .where(WorkspaceMember.account_id == account_id, WorkspaceMember.is_owner.is_(True))
                .order_by(WorkspaceMember.is_default.desc(), Workspace.id)
                .limit(1),
                CROSS,
            )
        )
    ).scalar_one()


async def _store_images(
    session: AsyncSession,
    storage: Storage,
    *,
    profile: KycProfile,
    workspace: Workspace,
    partner: Workspace,
    images: list[Image],
) -> None:
    """Each image as a file of the consumer's workspace; one equal to the stored one (by
    SHA-256) is kept as it is, a replaced one deleted (its bytes once the transaction
    commits)."""
    slots = {
        "KYC_ID_FRONT": "id_front_file_id",
        "KYC_ID_BACK": "id_back_file_id",
        "KYC_FACE": "face_file_id",
    }
    for image in images:
        attribute = slots[image.kind]
        current_id = getattr(profile, attribute)
        current = (
            (
                await session.execute(
                    scoped(
                        select(StoredFile).where(StoredFile.id == current_id),
                        StoredFile,
                        workspace.id,
                    )
                )
            ).scalar_one_or_none()
            if current_id
            else None
        )
        if current is not None and current.sha256 == image.sha256:
            continue
        key = new_storage_key(workspace.biz_id)
        writer = storage.writer(key)
        try:
            await writer.write(image.data)
            await writer.commit()
        except BaseException:
            await writer.abort()
            raise

        async def remove(key: str = key) -> None:
            await storage.delete(key)

        on_rollback(session, remove)
        stored = StoredFile(
            biz_id=new_biz_id(),
            workspace_id=workspace.id,
            purpose=image.kind,
            file_name=image.kind.lower() + _EXTENSIONS[image.content_type],
            content_type=image.content_type,
            file_size=len(image.data),
            sha256=image.sha256,
            storage_key=key,
            uploaded_by=partner.biz_id,
            created_at=utcnow(),
        )
        session.add(stored)
        await session.flush()
        setattr(profile, attribute, stored.id)
        if current is not None:
            old_key = current.storage_key
            await session.delete(current)

            async def remove_old(old_key: str = old_key) -> None:
                await storage.delete(old_key)

            after_commit(session, remove_old)


async def _send_activation(
    session: AsyncSession, kit: AuthKit, *, account: Account, given_name: str
) -> bool:
    """Mail a single-use link to set the password, unless one is still usable (the same
    payload onboarded again sends nothing more)."""
    now = utcnow()
    live = await session.execute(
        select(PasswordResetToken.token_hash).where(
            PasswordResetToken.account_id == account.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
    )
    if live.first() is not None:
        return False
    token = new_token(32)
    ttl = kit.settings.activation_ttl_seconds
    session.add(
        PasswordResetToken(
            token_hash=kit.tokens.digest(token),
            account_id=account.id,
            expires_at=now + timedelta(seconds=ttl),
            created_at=now,
        )
    )
    link = kit.settings.activation_url.format(base=kit.settings.public_base_url, token=token)
    send_after_commit(
        session, kit.mailer, emails.activation(account.email, given_name, link, max(1, ttl // 3600))
    )
    return True


async def onboard(
    session: AsyncSession,
    kit: AuthKit,
    storage: Storage,
    blind: BlindIndex,
    *,
    institution: Institution,
    partner: Workspace,
    body: s.CustomerOnboardingIn,
) -> Onboarded:
    """Create, or for a known document update, the customer and subscribe it to `partner`,
    in the request's transaction: the consumer account, its KYC profile and document images,
    its contact in the customer data store, the subscription (PENDING until the customer
    signs in), and for a new account the activation mail (sent once committed)."""
    checked = check_onboarding(
        institution, body, image_max_bytes=kit.settings.onboarding_image_max_bytes
    )
    index = blind_index(blind, institution, checked.document)
    await _serialise(session, institution.id, [f"document:{index}", f"email:{checked.email}"])
    found = await _profile_by_index(session, institution.id, index)
    created = found is None
    full_name = " ".join(
        part for part in (body.given_name, body.middle_name, body.family_name) if part
    )
    if found is not None:
        profile, account = found
        if profile.compliance_status == ComplianceStatus.UNDER_INVESTIGATION:
            raise Refusal(s.ONBOARD_INVESTIGATION)
        if profile.compliance_status == ComplianceStatus.BLOCKED:
            raise Refusal(s.ONBOARD_BLOCKED)
        changes = _identity_changes(profile, account, body, checked)
        if changes:
            raise Refusal(s.CUSTOMER_UPDATE_FAILED, changes)
    else:
        existing = await _consumer_by_email(session, institution.id, checked.email)
        if existing is not None and await _has_profile(session, existing.id):
            # The email is another customer's (another document): never merged.
            raise Refusal(s.CUSTOMER_UPDATE_FAILED, ["email"])
        account = existing or await account_flows.create_account(
            session,
            institution_id=institution.id,
            portal=AccountPortal.CONSUMER,
            email=checked.email,
            password_hash=NO_PASSWORD_YET,
            account_name=full_name[:200],
            max_sessions=kit.settings.max_sessions_default,
        )
        profile = KycProfile(
            institution_id=institution.id,
            account_id=account.id,
            kyc_level=checked.kyc_level,
            screening_status=checked.screening_status,
            compliance_status=ComplianceStatus.NONE,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        session.add(profile)
    await lock_row(session, Account, account.id)
    now = utcnow()
    profile.given_name = body.given_name
    profile.middle_name = body.middle_name
    profile.family_name = body.family_name
    profile.birth_date = body.date_of_birth
    profile.gender = checked.gender
    profile.nationality = checked.nationality
    profile.id_type = checked.document.id_type
    profile.id_country = checked.document.id_country
    # Sealed afresh only when the number changed: Fernet tokens differ on every seal.
    stored_number = kit.box.open(profile.id_number_sealed) if profile.id_number_sealed else None
    if stored_number is None or stored_number.decode() != (body.id_number or "").strip():
        profile.id_number_sealed = kit.box.seal((body.id_number or "").strip().encode())
    profile.id_blind_index = index
    profile.id_issue_date = body.id_issue_date
    profile.id_expiry_date = body.id_expiry_date
    profile.kyc_level = checked.kyc_level
    profile.screening_status = checked.screening_status
    profile.partner_kyc_reference = body.partner_kyc_reference
    profile.kyc_source_workspace_id = partner.id
    profile.extra_data = body.extra_data
    profile.updated_at = now
    await session.flush()
    account.phone = checked.phone
    account.name = full_name[:200]
    account.updated_at = now
    await _store_images(
        session,
        storage,
        profile=profile,
        workspace=await _own_workspace(session, account.id),
        partner=partner,
        images=checked.images,
    )
    try:
        await rel_service.upsert_customer_contact(
            session,
            institution_id=institution.id,
            email=checked.email,
            given_name=body.given_name or "",
            family_name=body.family_name or "",
            phone_e164=checked.phone,
            address=checked.address,
            account_id=account.id,
        )
    except InvalidParameter as exc:
        raise Refusal(s.INVALID_FIELD_VALUE, _rel_fields(exc.fields)) from None
    row = await _subscription(session, account.id, partner.id)
    if row is None:
        row = Subscription(
            biz_id=new_biz_id(),
            account_id=account.id,
            partner_workspace_id=partner.id,
            status=SubscriptionStatus.PENDING,
            created_at=now,
        )
        session.add(row)
        await session.flush()
    mailed = False
    if account.password_hash == NO_PASSWORD_YET:
        mailed = await _send_activation(
            session, kit, account=account, given_name=body.given_name or ""
        )
    return Onboarded(Customer(profile, account, row), created=created, activation_mail_sent=mailed)


def _rel_fields(fields: tuple[str, ...]) -> list[str]:
    names = {
        "email": "email",
        "number": "phone",
        "country_code": "address.country",
        "address_line_1": "address.line1",
        "address_line_2": "address.line2",
        "locality": "address.city",
        "administrative_area": "address.region",
        "postal_code": "address.postalCode",
    }
    return [names.get(field, "address") for field in fields] or ["address"]


# --- the issuer's view and flags ------------------------------------------------------------


async def get_profile(
    session: AsyncSession, *, institution_id: int, consumer_id: str
) -> tuple[KycProfile, Account]:
    """An onboarded consumer of the institution (404: unknown, not onboarded, deleted)."""
    row = (
        await session.execute(
            select(KycProfile, Account)
            .join(Account, Account.id == KycProfile.account_id)
            .where(
                Account.biz_id == consumer_id[:16],
                Account.institution_id == institution_id,
                Account.portal == AccountPortal.CONSUMER,
                Account.status != AccountStatus.DELETED,
            )
        )
    ).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


async def subscriptions_of(
    session: AsyncSession, *, account_id: int
) -> list[tuple[Subscription, str]]:
    """The customer's subscriptions with their partner workspaces' bizIds, oldest first."""
    rows = await session.execute(
        across_workspaces(
            select(Subscription, Workspace.biz_id)
            .join(Workspace, Workspace.id == Subscription.partner_workspace_id)
            .where(Subscription.account_id == account_id)
            .order_by(Subscription.id),
            CROSS,
        )
    )
    return [(row[0], row[1]) for row in rows]


async def set_compliance(
    session: AsyncSession,
    *,
    institution_id: int,
    consumer_id: str,
    status: ComplianceStatus,
    reason: str | None,
    actor: audit.Actor,
) -> tuple[KycProfile, Account]:
    """Flag the customer UNDER_INVESTIGATION or BLOCKED, or clear the flag (NONE); audited.
    Lookups and onboardings answer the flag from the next request on."""
    profile, account = await get_profile(
        session, institution_id=institution_id, consumer_id=consumer_id
    )
    await lock_row(session, KycProfile, profile.id)
    await session.refresh(profile)
    now = utcnow()
    profile.compliance_status = status
    profile.compliance_reason = reason if status != ComplianceStatus.NONE else None
    profile.compliance_changed_at = now
    profile.updated_at = now
    await session.flush()
    await audit.record(
        session,
        institution_id=institution_id,
        actor=actor,
        action="customer.clear" if status == ComplianceStatus.NONE else "customer.flag",
        target_type="consumer",
        target_id=account.biz_id,
        outcome=status.value,
    )
    return profile, account
