"""Workspaces, their roles and their members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import JoinSource, RoleType, WorkspaceKind, WorkspaceStatus
from portico.pii import NOT_PII, pii


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), info=pii("Closed workspace"))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    kind: Mapped[WorkspaceKind] = mapped_column(
        EnumColumn(WorkspaceKind, 20), default=WorkspaceKind.LIVE
    )
    status: Mapped[WorkspaceStatus] = mapped_column(
        EnumColumn(WorkspaceStatus, 20), default=WorkspaceStatus.ACTIVE
    )
    entity_biz_id: Mapped[str | None] = mapped_column(String(64))
    extra_data: Mapped[dict[str, Any] | None] = mapped_column(JSON, info=pii())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def role_name_key(name: str) -> str:
    """What makes two role names the same: case and surrounding space do not count."""
    return name.strip().casefold()


ONE_ROLE_NAME = Index(
    "uq_workspace_roles_workspace_id_name_key", "workspace_id", "name_key", unique=True
)


class WorkspaceRole(Base):
    __tablename__ = "workspace_roles"
    __table_args__ = (ONE_ROLE_NAME,)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), info=NOT_PII)
    # `role_name_key(name)`, kept by `_keep_name_key`: role names are unique in a workspace.
    name_key: Mapped[str] = mapped_column(String(400), server_default="", info=NOT_PII)
    role_type: Mapped[RoleType] = mapped_column(EnumColumn(RoleType, 20))
    description: Mapped[str | None] = mapped_column(String(500))
    is_builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    permission_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = role_name_key(name)
        return name


_DEFAULT = text("is_default")
# Exactly one default workspace per account: at most one here; every path that ends a default
# membership passes the default on (`workspaces.service.end_membership`).
ONE_DEFAULT_WORKSPACE = Index(
    "uq_workspace_members_account_id_default",
    "account_id",
    unique=True,
    sqlite_where=_DEFAULT,
    postgresql_where=_DEFAULT,
)


ONE_MEMBERSHIP = UniqueConstraint("workspace_id", "account_id")


class WorkspaceMember(Base):
    __tablename__ = "workspace_members"
    __table_args__ = (ONE_MEMBERSHIP, ONE_DEFAULT_WORKSPACE)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    role_id: Mapped[int] = mapped_column(
        ForeignKey("workspace_roles.id", ondelete="RESTRICT"), index=True
    )
    join_source: Mapped[JoinSource] = mapped_column(EnumColumn(JoinSource, 20))
    is_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
