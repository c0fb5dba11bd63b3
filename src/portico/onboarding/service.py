"""Onboarding: find a customer by its ID document, enrol (or update) one in a single
transaction, read its subscription to a partner, and the issuer's compliance flags.

A customer is a consumer account with a KYC profile. Its ID number is sealed (Fernet) and found
through a keyed blind index, unique per institution: the database holds "one customer per
document" whatever runs in parallel, and onboardings of one document or one email run one at a
time (`_serialise`), so the same payload sent twice or twenty times at once creates one
customer and answers the same. Nothing here logs a request's values.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.auth.models import PasswordResetToken
from portico.crypto import BlindIndex
from portico.db import after_commit, lock_row, on_rollback, utcnow
from portico.enums import AccountPortal, AccountStatus
from portico.errors import InvalidParameter, NotFound
from portico.files.models import StoredFile
from portico.files.service import new_storage_key
from portico.flows import accounts as account_flows
from portico.ids import new_biz_id, new_token
from portico.institutions.models import Institution
from portico.issuer import audit
from portico.mail.sender import send_after_commit
from portico.onboarding import emails
from portico.onboarding.checks import Checked, Document, Image, blind_index
from portico.onboarding.customers import Customer, Onboarded, Standing
from portico.onboarding.errors import OnboardingRefused, Reason
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
# The fields of a verified identity: a known customer's cannot be changed by onboarding.
IDENTITY_FIELDS = ("givenName", "middleName", "familyName", "dateOfBirth", "nationality")
CROSS = "onboarding: customers are the institution's, across workspaces"


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
    document: Document,
) -> tuple[Standing, Customer | None]:
    """The customer with this document *as this partner sees it*: a customer not subscribed
    to the partner is not found, exactly as one that does not exist."""
    found = await _profile_by_index(
        session, institution.id, blind_index(blind, institution, document)
    )
    row = await _subscription(session, found[1].id, workspace.id) if found else None
    if found is None or row is None or found[1].status == AccountStatus.DELETED:
        return Standing.NOT_FOUND, None
    profile, account = found
    if profile.compliance_status == ComplianceStatus.UNDER_INVESTIGATION:
        return Standing.UNDER_INVESTIGATION, None
    if profile.compliance_status == ComplianceStatus.BLOCKED:
        return Standing.BLOCKED, None
    customer = Customer(profile, account, row)
    if row.status == SubscriptionStatus.PENDING:
        return Standing.PENDING, customer
    return Standing.FOUND, customer


async def subscription_status(
    session: AsyncSession, *, institution: Institution, workspace: Workspace, customer_id: str
) -> tuple[Standing, Customer | None]:
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
        return Standing.NOT_FOUND, None
    profile, account = found
    row = await _subscription(session, account.id, workspace.id)
    if row is None:
        return Standing.NOT_SUBSCRIBED, None
    return Standing.FOUND, Customer(profile, account, row)


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


def _identity_changes(profile: KycProfile, account: Account, checked: Checked) -> list[str]:
    stored = {
        "givenName": profile.given_name,
        "middleName": profile.middle_name,
        "familyName": profile.family_name,
        "dateOfBirth": profile.birth_date,
        "nationality": profile.nationality,
    }
    given = {
        "givenName": checked.given_name,
        "middleName": checked.middle_name,
        "familyName": checked.family_name,
        "dateOfBirth": checked.date_of_birth,
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
            file_name=image.file_name,
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
    checked: Checked,
) -> Onboarded:
    """Create, or for a known document update, the customer and subscribe it to `partner`,
    in the request's transaction: the consumer account, its KYC profile and document images,
    its contact in the customer data store, the subscription (PENDING until the customer
    signs in), and for a new account the activation mail (sent once committed)."""
    index = blind_index(blind, institution, checked.document)
    await _serialise(session, institution.id, [f"document:{index}", f"email:{checked.email}"])
    found = await _profile_by_index(session, institution.id, index)
    created = found is None
    full_name = " ".join(
        part for part in (checked.given_name, checked.middle_name, checked.family_name) if part
    )
    if found is not None:
        profile, account = found
        if profile.compliance_status == ComplianceStatus.UNDER_INVESTIGATION:
            raise OnboardingRefused(Reason.UNDER_INVESTIGATION)
        if profile.compliance_status == ComplianceStatus.BLOCKED:
            raise OnboardingRefused(Reason.BLOCKED)
        changes = _identity_changes(profile, account, checked)
        if changes:
            raise OnboardingRefused(Reason.IDENTITY_CHANGED, changes)
    else:
        existing = await _consumer_by_email(session, institution.id, checked.email)
        if existing is not None and await _has_profile(session, existing.id):
            # The email is another customer's (another document): never merged.
            raise OnboardingRefused(Reason.IDENTITY_CHANGED, ["email"])
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
    profile.given_name = checked.given_name
    profile.middle_name = checked.middle_name
    profile.family_name = checked.family_name
    profile.birth_date = checked.date_of_birth
    profile.gender = checked.gender
    profile.nationality = checked.nationality
    profile.id_type = checked.document.id_type
    profile.id_country = checked.document.id_country
    # Sealed afresh only when the number changed: Fernet tokens differ on every seal.
    stored_number = kit.box.open(profile.id_number_sealed) if profile.id_number_sealed else None
    if stored_number is None or stored_number.decode() != checked.id_number:
        profile.id_number_sealed = kit.box.seal(checked.id_number.encode())
    profile.id_blind_index = index
    profile.id_issue_date = checked.id_issue_date
    profile.id_expiry_date = checked.id_expiry_date
    profile.kyc_level = checked.kyc_level
    profile.screening_status = checked.screening_status
    profile.partner_kyc_reference = checked.partner_kyc_reference
    profile.kyc_source_workspace_id = partner.id
    profile.extra_data = checked.extra_data
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
            given_name=checked.given_name or "",
            family_name=checked.family_name or "",
            phone_e164=checked.phone,
            address=checked.address,
            account_id=account.id,
        )
    except InvalidParameter as exc:
        raise OnboardingRefused(Reason.INVALID_FIELD_VALUE, _rel_fields(exc.fields)) from None
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
            session, kit, account=account, given_name=checked.given_name or ""
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
