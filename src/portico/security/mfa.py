"""MFA beyond email: TOTP (authenticator apps) and single-use backup codes."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import affected_rows, lock_row, utcnow
from portico.enums import MfaMethod
from portico.security.errors import MfaCodeRejected, TotpAlreadyEnabled, TotpNotSetUp
from portico.security.kit import AuthKit
from portico.security.models import BackupCode, MfaEnrollment

TOTP_STEP_SECONDS = 30
TOTP_DRIFT_STEPS = 1
BACKUP_CODE_COUNT = 10
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True, slots=True)
class MethodStatus:
    method: MfaMethod
    is_enabled: bool
    is_primary: bool
    verified_at: datetime | None


@dataclass(frozen=True, slots=True)
class OtpSetup:
    secret: str
    qr_code_uri: str
    issuer: str
    account_name: str


async def _enrollment(
    session: AsyncSession, account_id: int, method: MfaMethod
) -> MfaEnrollment | None:
    return (
        await session.execute(
            select(MfaEnrollment).where(
                MfaEnrollment.account_id == account_id, MfaEnrollment.method == method
            )
        )
    ).scalar_one_or_none()


async def backup_code_counts(session: AsyncSession, account_id: int) -> tuple[int, int]:
    """(remaining, total) of the current batch."""
    row = (
        await session.execute(
            select(
                func.count(BackupCode.id),
                func.count(BackupCode.id).filter(BackupCode.used_at.is_(None)),
            ).where(BackupCode.account_id == account_id)
        )
    ).one()
    return int(row[1]), int(row[0])


async def usable_methods(session: AsyncSession, account_id: int) -> list[MfaMethod]:
    """The methods a login can be completed with: EMAIL, TOTP once verified, BACKUP_CODE while
    codes remain."""
    enrollments = (
        (
            await session.execute(
                select(MfaEnrollment.method)
                .where(MfaEnrollment.account_id == account_id, MfaEnrollment.is_enabled.is_(True))
                .order_by(MfaEnrollment.is_primary.desc(), MfaEnrollment.id)
            )
        )
        .scalars()
        .all()
    )
    methods = [MfaMethod(m) for m in enrollments if m != MfaMethod.BACKUP_CODE] or [MfaMethod.EMAIL]
    remaining, _ = await backup_code_counts(session, account_id)
    if remaining:
        methods.append(MfaMethod.BACKUP_CODE)
    return methods


async def method_statuses(session: AsyncSession, account_id: int) -> list[MethodStatus]:
    """The account's MFA methods as the documents list them: EMAIL (always there, its
    `verifiedAt` null), then TOTP once an authenticator app has been set up (enabled once
    verified). Backup codes are not a method here: their state is `security/mfa/backup-codes`
    (the consumer document lists only EMAIL for an account holding 10 backup codes)."""
    rows = {
        e.method: e
        for e in (
            await session.execute(
                select(MfaEnrollment).where(MfaEnrollment.account_id == account_id)
            )
        ).scalars()
    }
    email = rows.get(MfaMethod.EMAIL)
    result = [
        MethodStatus(
            method=MfaMethod.EMAIL,
            is_enabled=email is None or email.is_enabled,
            is_primary=email is None or email.is_primary,
            verified_at=None,
        )
    ]
    totp = rows.get(MfaMethod.TOTP)
    if totp is not None:
        result.append(
            MethodStatus(
                method=MfaMethod.TOTP,
                is_enabled=totp.is_enabled,
                is_primary=totp.is_primary,
                verified_at=totp.verified_at if totp.is_enabled else None,
            )
        )
    return result


async def setup_totp(session: AsyncSession, kit: AuthKit, *, account: Account) -> OtpSetup:
    """Create (or replace) a pending TOTP secret; it is enabled by `verify_totp`."""
    # Every MFA change runs one at a time per account: the enrolment row is read, then written.
    await lock_row(session, Account, account.id)
    enrollment = await _enrollment(session, account.id, MfaMethod.TOTP)
    if enrollment is not None and enrollment.is_enabled:
        raise TotpAlreadyEnabled()
    secret = pyotp.random_base32(32)
    if enrollment is None:
        enrollment = MfaEnrollment(account_id=account.id, method=MfaMethod.TOTP, is_primary=False)
        session.add(enrollment)
    enrollment.is_enabled = False
    enrollment.verified_at = None
    enrollment.last_used_step = None
    enrollment.secret_encrypted = kit.box.seal(secret.encode())
    issuer = kit.settings.totp_issuer
    # The documented URI leaves the account label unencoded (a raw `@`).
    uri = f"otpauth://totp/{quote(issuer)}:{account.email}?secret={secret}&issuer={quote(issuer)}"
    return OtpSetup(secret=secret, qr_code_uri=uri, issuer=issuer, account_name=account.email)


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (±1 for clock drift) whose code equals `code`, compared in constant time."""
    code = code.strip()
    if not (code.isascii() and code.isdigit()):
        return None  # never a code (and compare_digest refuses non-ASCII text)
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    current = int((now if now is not None else time.time()) // TOTP_STEP_SECONDS)
    found = None
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


async def check_totp(
    session: AsyncSession, kit: AuthKit, *, enrollment: MfaEnrollment, code: str
) -> bool:
    """True once per valid code: a step is burnt when used, so a code cannot be replayed."""
    secret = kit.box.open(enrollment.secret_encrypted or "")
    step = _matching_step(secret.decode(), code) if secret else None
    if step is None:
        return False
    burnt = await session.execute(
        update(MfaEnrollment)
        .where(
            MfaEnrollment.id == enrollment.id,
            (MfaEnrollment.last_used_step.is_(None)) | (MfaEnrollment.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(burnt) == 1


async def totp_enrollment(session: AsyncSession, account_id: int) -> MfaEnrollment | None:
    return await _enrollment(session, account_id, MfaMethod.TOTP)


async def verify_totp(
    session: AsyncSession, kit: AuthKit, *, account: Account, code: str
) -> MethodStatus:
    """Enable TOTP with a first valid code from the authenticator."""
    await lock_row(session, Account, account.id)
    enrollment = await _enrollment(session, account.id, MfaMethod.TOTP)
    if enrollment is None or enrollment.secret_encrypted is None:
        raise TotpNotSetUp()
    if enrollment.is_enabled:
        raise TotpAlreadyEnabled()
    if not await check_totp(session, kit, enrollment=enrollment, code=code):
        raise MfaCodeRejected()
    enrollment.is_enabled = True
    enrollment.verified_at = utcnow()
    return MethodStatus(MfaMethod.TOTP, True, enrollment.is_primary, enrollment.verified_at)


async def revoke_totp(session: AsyncSession, kit: AuthKit, *, account: Account, code: str) -> None:
    """Turn TOTP off; needs a current code (or a pending setup is simply dropped)."""
    await lock_row(session, Account, account.id)
    enrollment = await _enrollment(session, account.id, MfaMethod.TOTP)
    if enrollment is None:
        raise TotpNotSetUp()
    if enrollment.is_enabled and not await check_totp(
        session, kit, enrollment=enrollment, code=code
    ):
        raise MfaCodeRejected()
    await session.delete(enrollment)


def _normalise_backup(code: str) -> str:
    return code.strip().lower().replace("-", "").replace(" ", "")


def _backup_digest(kit: AuthKit, account_id: int, code: str) -> str:
    return kit.tokens.digest(f"backup:{account_id}:{_normalise_backup(code)}")


async def generate_backup_codes(
    session: AsyncSession, kit: AuthKit, *, account: Account
) -> list[str]:
    """Replace the account's backup codes with 10 new ones, returned once in clear."""
    await lock_row(session, Account, account.id)
    await session.execute(delete(BackupCode).where(BackupCode.account_id == account.id))
    codes = []
    now = utcnow()
    for _ in range(BACKUP_CODE_COUNT):
        raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(8))
        codes.append(f"{raw[:4]}-{raw[4:]}")
        session.add(
            BackupCode(
                account_id=account.id,
                code_hash=_backup_digest(kit, account.id, raw),
                created_at=now,
            )
        )
    marker = await _enrollment(session, account.id, MfaMethod.BACKUP_CODE)
    if marker is None:
        session.add(
            MfaEnrollment(
                account_id=account.id,
                method=MfaMethod.BACKUP_CODE,
                is_enabled=True,
                verified_at=now,
            )
        )
    else:
        marker.is_enabled = True
        marker.verified_at = now
    await session.flush()
    return codes


async def use_backup_code(
    session: AsyncSession, kit: AuthKit, *, account_id: int, code: str
) -> bool:
    """Spend one backup code; True when it existed and was unused (exactly once, even in a race)."""
    spent = await session.execute(
        update(BackupCode)
        .where(
            BackupCode.account_id == account_id,
            BackupCode.code_hash == _backup_digest(kit, account_id, code),
            BackupCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return affected_rows(spent) == 1
