"""Workspace, membership and role bodies."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from portico.enums import JoinSource, RoleType, WorkspaceKind, WorkspaceStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel
from portico.workspaces.permissions import PermissionCodeIn

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


class MemberOut(MembershipOut):
    """A member in the workspace's member list: the membership plus who it is."""

    account_email: str
    account_name: str | None


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
