"""Workspace and role failures."""

from __future__ import annotations

from portico.errors import AppError


class OwnerCannotLeave(AppError):
    code = "WORKSPACE.OWNER_CANNOT_LEAVE"
    message = "The workspace owner cannot leave the workspace"
    http_status = 400


class OwnerIsPermanent(AppError):
    code = "WORKSPACE.OWNER_IMMUTABLE"
    message = "The workspace owner cannot be removed or reassigned"
    http_status = 400


class BuiltinRoleImmutable(AppError):
    code = "ROLE.BUILTIN_IMMUTABLE"
    message = "Built-in roles cannot be changed this way"
    http_status = 400


class RoleInUse(AppError):
    code = "ROLE.IN_USE"
    message = "The role is assigned to members"
    http_status = 400


class RoleNameTaken(AppError):
    code = "ROLE.NAME_TAKEN"
    message = "A role with this name already exists"
    http_status = 400
