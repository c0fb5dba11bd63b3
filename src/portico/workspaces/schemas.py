"""Workspace, membership and role bodies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import Field, StringConstraints

from portico.enums import JoinSource, RoleType, WorkspaceKind, WorkspaceStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel
from portico.workspaces.models import Workspace, WorkspaceRole
from portico.workspaces.permissions import PermissionCodeIn

if TYPE_CHECKING:
    from portico.workspaces.service import Membership

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
BizId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Timezone = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class WorkspaceOut(WireModel):
    biz_id: str
    institution_biz_id: str
    entity_biz_id: str | None
    workspace_name: str
    workspace_timezone: str
    workspace_status: EnumObject[WorkspaceStatus]
    workspace_kind: EnumObject[WorkspaceKind]
    extra_data: Any | None
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @classmethod
    def from_row(cls, workspace: Workspace, *, institution_biz_id: str) -> WorkspaceOut:
        return cls(
            biz_id=workspace.biz_id,
            institution_biz_id=institution_biz_id,
            entity_biz_id=workspace.entity_biz_id,
            workspace_name=workspace.name,
            workspace_timezone=workspace.timezone,
            workspace_status=workspace.status,
            workspace_kind=workspace.kind,
            extra_data=workspace.extra_data,
            created_at=workspace.created_at,
            updated_at=workspace.updated_at,
        )


class MembershipOut(WireModel):
    user_biz_id: str
    workspace_biz_id: str
    workspace_name: str
    workspace_kind: EnumObject[WorkspaceKind]
    institution_biz_id: str
    workspace_role_biz_id: str
    workspace_role_name: str
    join_source: EnumObject[JoinSource]
    is_owner: bool
    is_default: bool
    enterable: bool
    default_eligible: bool
    policy_config: Any | None
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @staticmethod
    def fields_of(membership: Membership) -> dict[str, Any]:
        member, workspace, role = membership.member, membership.workspace, membership.role
        return {
            "user_biz_id": membership.account.biz_id,
            "workspace_biz_id": workspace.biz_id,
            "workspace_name": workspace.name,
            "workspace_kind": workspace.kind,
            "institution_biz_id": membership.institution_biz_id,
            "workspace_role_biz_id": role.biz_id,
            "workspace_role_name": role.name,
            "join_source": member.join_source,
            "is_owner": member.is_owner,
            "is_default": member.is_default,
            "enterable": workspace.status == WorkspaceStatus.ACTIVE,
            "default_eligible": workspace.status == WorkspaceStatus.ACTIVE,
            "policy_config": None,
            "created_at": member.created_at,
            "updated_at": member.updated_at,
        }

    @classmethod
    def from_membership(cls, membership: Membership) -> MembershipOut:
        return cls(**cls.fields_of(membership))


class MemberOut(MembershipOut):
    """A member in the workspace's member list: the membership plus who it is."""

    account_email: str
    account_name: str | None

    @classmethod
    def from_membership(cls, membership: Membership) -> MemberOut:
        return cls(
            **cls.fields_of(membership),
            account_email=membership.account.email,
            account_name=membership.account.name,
        )


class WorkspaceCreateIn(RequestModel):
    workspace_name: Name
    workspace_timezone: Timezone = "UTC"
    workspace_kind: Annotated[str, StringConstraints(pattern="^(LIVE|SANDBOX)$")] = "LIVE"


class WorkspaceUpdateIn(RequestModel):
    workspace_name: Name | None = None
    workspace_timezone: Timezone | None = None


class MemberRemoveIn(RequestModel):
    user_biz_id: BizId


class RoleOut(WireModel):
    biz_id: str
    workspace_biz_id: str
    role_name: str
    role_type: EnumObject[RoleType]
    description: str | None
    permission_codes: list[str]
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @classmethod
    def from_row(cls, role: WorkspaceRole, workspace: Workspace) -> Self:
        return cls(
            biz_id=role.biz_id,
            workspace_biz_id=workspace.biz_id,
            role_name=role.name,
            role_type=role.role_type,
            description=role.description,
            permission_codes=list(role.permission_codes or []),
            created_at=role.created_at,
            updated_at=role.updated_at,
        )


class RoleCreateIn(RequestModel):
    role_name: Name
    description: Description | None = None


class RoleUpdateIn(RequestModel):
    role_id: BizId
    role_name: Name | None = None
    description: Description | None = None


class RoleIdIn(RequestModel):
    role_id: BizId


class RolePermissionsIn(RequestModel):
    role_id: BizId
    permission_codes: Annotated[list[PermissionCodeIn], Field(max_length=100)]


class MemberRoleChangeIn(RequestModel):
    user_biz_id: BizId
    role_id: BizId


class PermissionNodeOut(WireModel):
    """A node of `roles/permissions/tree` (every node is a permission: `children` is empty)."""

    biz_id: str
    permission_code: str
    permission_name: str
    permission_description: str | None
    parent_biz_id: str | None
    permission_group: str
    portal_visibility: str | None
    sort_order: int
    is_enabled: bool
    children: list[PermissionNodeOut]
