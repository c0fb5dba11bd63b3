"""The issuer's audit log: every back-office action and consumer operation, by whom, when,
with the request's correlation id. Written in the action's own transaction, so an action and
its record commit (or vanish) together."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.ids import new_biz_id
from portico.issuer.models import AuditEvent
from portico.issuer.paging import Window, fetch

ISSUER_CLIENT = "ISSUER_CLIENT"
CLI = "CLI"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an issuer client over HTTP (`client_id`), or an operator at the CLI."""

    actor_type: str
    actor_id: str
    correlation_id: str | None = None
    request_id: str | None = None


def cli_actor() -> Actor:
    """The operator running a `portico` command (the OS user name)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(CLI, f"cli:{user}"[:64])


async def record(
    session: AsyncSession,
    *,
    institution_id: int,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    outcome: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        event_id=new_biz_id(20),
        institution_id=institution_id,
        actor_type=actor.actor_type,
        actor_id=actor.actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id[:64],
        outcome=outcome,
        correlation_id=actor.correlation_id,
        request_id=actor.request_id,
    )
    session.add(event)
    await session.flush()
    return event


async def list_events(
    session: AsyncSession,
    *,
    institution_id: int,
    window: Window,
    action: str | None = None,
    actor_id: str | None = None,
) -> tuple[list[AuditEvent], int]:
    """The institution's events, newest first, and how many match in all."""
    statement = select(AuditEvent).where(AuditEvent.institution_id == institution_id)
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    if actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    return await fetch(
        session, statement.order_by(AuditEvent.id.desc()), window, AuditEvent.created_at
    )
