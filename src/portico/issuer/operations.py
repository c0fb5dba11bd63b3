"""Consumer lifecycle operations (the issuer document): DELETE, SUSPEND and RESUME, each
recorded as an operation with who asked, why, when, and how it ended.

Operations run synchronously: the answer carries the final status (SUCCESSFUL or FAILED, with
`errorCode` and `error`), and `endTime` is set. A refused operation changes nothing but its
own record. The consumer's account row is locked first, so two operations on one consumer run
one after the other. Operations older than the retention (3 months) are purged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import affected_rows, lock_row, utcnow
from portico.enums import AccountPortal, AccountStatus
from portico.errors import NotFound
from portico.ids import new_biz_id
from portico.issuer import audit
from portico.issuer.erasure import erase_consumer
from portico.issuer.errors import OperationRefused
from portico.issuer.models import (
    ConsumerOperation,
    OperationStatus,
    OperationType,
    ReasonCode,
    RequestorType,
)
from portico.security.sessions import revoke_sessions

MAX_ID = 64


@dataclass(frozen=True, slots=True)
class Requestor:
    """Who asks: `ISSUER` and its issuerId (the issuer API), `CCI` and an operator id."""

    requestor_type: RequestorType
    requestor_id: str


def _consumers(institution_id: int) -> Select[Account]:
    return select(Account).where(
        Account.institution_id == institution_id, Account.portal == AccountPortal.CONSUMER
    )


async def find_consumer(
    session: AsyncSession, *, institution_id: int, consumer_id: str
) -> Account | None:
    """A consumer account of the institution by its bizId (the `consumerId`), deleted or not."""
    statement = _consumers(institution_id).where(Account.biz_id == consumer_id[:MAX_ID])
    return (await session.execute(statement)).scalar_one_or_none()


async def get_consumer(session: AsyncSession, *, institution_id: int, consumer_id: str) -> Account:
    consumer = await find_consumer(session, institution_id=institution_id, consumer_id=consumer_id)
    if consumer is None:
        raise NotFound()
    return consumer


async def find_consumer_by_email(
    session: AsyncSession, *, institution_id: int, email: str
) -> Account | None:
    statement = _consumers(institution_id).where(Account.email == email.strip().lower())
    return (await session.execute(statement)).scalar_one_or_none()


async def _lock(session: AsyncSession, consumer: Account) -> Account:
    """The consumer's row, locked for this transaction and read afresh."""
    await lock_row(session, Account, consumer.id)
    locked = (
        await session.execute(
            select(Account)
            .where(Account.id == consumer.id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return locked


def _refusal(consumer: Account, operation: OperationType) -> OperationRefused | None:
    status = consumer.status
    if status == AccountStatus.DELETED:
        return OperationRefused("CONSUMER_DELETED", "The consumer was deleted")
    if operation == OperationType.SUSPEND and status == AccountStatus.SUSPENDED:
        return OperationRefused("CONSUMER_ALREADY_SUSPENDED", "The consumer is already suspended")
    if operation == OperationType.RESUME and status != AccountStatus.SUSPENDED:
        return OperationRefused("CONSUMER_NOT_SUSPENDED", "The consumer is not suspended")
    return None


async def run(
    session: AsyncSession,
    *,
    consumer: Account,
    operation: OperationType,
    requestor: Requestor,
    reason: str | None,
    reason_code: ReasonCode | None,
    actor: audit.Actor,
) -> ConsumerOperation:
    """Perform `operation` on the consumer and record it (and its audit event)."""
    started = utcnow()
    consumer = await _lock(session, consumer)
    record = ConsumerOperation(
        operation_id=new_biz_id(24),
        institution_id=consumer.institution_id,
        account_id=consumer.id,
        consumer_biz_id=consumer.biz_id,
        operation=operation,
        start_time=started,
        requestor_type=requestor.requestor_type,
        requestor_id=requestor.requestor_id[:MAX_ID],
        reason=reason,
        reason_code=(reason_code or ReasonCode.ISSUER_DECISION).value,
        correlation_id=actor.correlation_id,
    )
    try:
        refused = _refusal(consumer, operation)
        if refused is not None:
            raise refused
        record.details = await _perform(session, consumer, operation) or None
        record.status = OperationStatus.SUCCESSFUL
    except OperationRefused as exc:
        record.status = OperationStatus.FAILED
        record.error_code, record.error = exc.error_code, exc.error
    record.end_time = utcnow()
    session.add(record)
    await session.flush()
    await audit.record(
        session,
        institution_id=consumer.institution_id,
        actor=actor,
        action=f"consumer.{operation.value.lower()}",
        target_type="consumer",
        target_id=consumer.biz_id,
        outcome=record.status if record.error_code is None else record.error_code,
    )
    return record


async def _perform(
    session: AsyncSession, consumer: Account, operation: OperationType
) -> dict[str, int]:
    """Do it; what it ended (the operation's `details`), empty when there is nothing to say."""
    if operation == OperationType.DELETE:
        report = await erase_consumer(session, account=consumer)
        return report.as_details()
    if operation == OperationType.SUSPEND:
        consumer.status = AccountStatus.SUSPENDED
        consumer.updated_at = utcnow()
        # A suspended consumer's sessions end now; resuming does not bring them back.
        revoked = await revoke_sessions(session, account_id=consumer.id, reason="SUSPENDED")
        return {"sessionsRevoked": revoked}
    consumer.status = AccountStatus.ACTIVE
    consumer.updated_at = utcnow()
    return {}


async def list_operations(
    session: AsyncSession, *, consumer: Account, offset: int, limit: int
) -> tuple[list[ConsumerOperation], int]:
    """The consumer's operations, newest first from `offset`, and how many remain after."""
    base = select(ConsumerOperation).where(ConsumerOperation.account_id == consumer.id)
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.execute(
        base.order_by(ConsumerOperation.id.desc()).offset(offset).limit(limit)
    )
    page = list(rows.scalars())
    return page, max(int(total) - offset - len(page), 0)


async def get_operation(
    session: AsyncSession, *, consumer: Account, operation_id: str
) -> ConsumerOperation:
    found = (
        await session.execute(
            select(ConsumerOperation).where(
                ConsumerOperation.account_id == consumer.id,
                ConsumerOperation.operation_id == operation_id[:MAX_ID],
            )
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


async def purge_operations(session: AsyncSession, *, retention_days: int) -> int:
    """Delete operations that started more than `retention_days` ago; returns how many."""
    cutoff: datetime = utcnow() - timedelta(days=retention_days)
    result = await session.execute(
        delete(ConsumerOperation)
        .where(ConsumerOperation.start_time < cutoff)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result)
