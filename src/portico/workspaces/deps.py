"""The workspace a request acts in, and the permission each workspace route needs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Header

from portico.accounts.errors import AccountInactive, PendingApproval
from portico.auth.deps import CurrentPrincipal
from portico.deps import SessionDep
from portico.enums import RoleType
from portico.errors import PermissionDenied, raises
from portico.partners import service as partner_service
from portico.workspaces import permissions
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole
from portico.workspaces.permissions import role_permissions

PERMISSION_ATTRIBUTE = "__portico_permission__"


@dataclass(frozen=True, slots=True)
class WorkspaceContext:
    workspace: Workspace
    membership: WorkspaceMember
    role: WorkspaceRole
    permissions: frozenset[str]

    @property
    def is_owner(self) -> bool:
        return self.role.role_type == RoleType.OWNER


@raises(PermissionDenied)
async def get_workspace_context(
    principal: CurrentPrincipal,
    x_workspace_id: Annotated[
        str | None, Header(description="Workspace `bizId`; the caller's default when absent")
    ] = None,
) -> WorkspaceContext:
    """The workspace named by `X-Workspace-Id` (else the default); the caller must be a member.

    The membership was read with the session (`get_principal`, same header), in one query.
    """
    if principal.membership is None:
        raise PermissionDenied()
    membership, workspace, role = principal.membership
    return WorkspaceContext(
        workspace=workspace, membership=membership, role=role, permissions=role_permissions(role)
    )


CurrentWorkspace = Annotated[WorkspaceContext, Depends(get_workspace_context)]


def _check_permission(context: WorkspaceContext, code: str) -> None:
    if code != permissions.MEMBERSHIP and code not in context.permissions:
        raise PermissionDenied()


@cache
def _checker(code: str) -> Callable[..., Awaitable[WorkspaceContext]]:
    @raises(PermissionDenied)
    async def check(context: CurrentWorkspace) -> WorkspaceContext:
        _check_permission(context, code)
        return context

    @raises(PermissionDenied, PendingApproval, AccountInactive)
    async def check_with_approval(
        context: CurrentWorkspace, principal: CurrentPrincipal, session: SessionDep
    ) -> WorkspaceContext:
        _check_permission(context, code)
        # Money and credentials wait for the issuer's approval of the workspace's owner.
        await partner_service.ensure_workspace_may_transact(
            session,
            caller=principal.account,
            workspace_id=context.workspace.id,
            caller_is_owner=context.is_owner or context.membership.is_owner,
        )
        return context

    checker = check_with_approval if code in partner_service.GATED else check
    setattr(checker, PERMISSION_ATTRIBUTE, code)
    checker.__name__ = f"require_{code.replace(':', '_')}"
    return checker


def require(code: str) -> Any:
    """`Depends(...)` admitting only callers holding `code` (or any member, for MEMBERSHIP)."""
    if code != permissions.MEMBERSHIP and not permissions.is_known(code):
        raise ValueError(f"unknown permission {code}")
    return Depends(_checker(code))


def RequirePermission(code: str) -> Any:
    """`Annotated[WorkspaceContext, …]` that admits only callers holding `code`."""
    return Annotated[WorkspaceContext, require(code)]


# The permission specs of workspace routes, as typed aliases (`context: RoleRead`).
AnyMember = Annotated[WorkspaceContext, require(permissions.MEMBERSHIP)]
WorkspaceWrite = Annotated[WorkspaceContext, require("workspace:write")]
MemberRead = Annotated[WorkspaceContext, require("member:read")]
MemberWrite = Annotated[WorkspaceContext, require("member:write")]
RoleRead = Annotated[WorkspaceContext, require("role:read")]
RoleWrite = Annotated[WorkspaceContext, require("role:write")]
ApiKeyRead = Annotated[WorkspaceContext, require("apikey:read")]
ApiKeyWrite = Annotated[WorkspaceContext, require("apikey:write")]
WalletRead = Annotated[WorkspaceContext, require("wallet:read")]
WalletWrite = Annotated[WorkspaceContext, require("wallet:write")]
TransferRead = Annotated[WorkspaceContext, require("transfer:read")]
TransferWrite = Annotated[WorkspaceContext, require("transfer:write")]
ExchangeRead = Annotated[WorkspaceContext, require("exchange:read")]
ExchangeWrite = Annotated[WorkspaceContext, require("exchange:write")]
RechargeRead = Annotated[WorkspaceContext, require("recharge:read")]
RechargeWrite = Annotated[WorkspaceContext, require("recharge:write")]
WithdrawalRead = Annotated[WorkspaceContext, require("withdrawal:read")]
WithdrawalWrite = Annotated[WorkspaceContext, require("withdrawal:write")]
FileRead = Annotated[WorkspaceContext, require("file:read")]
FileWrite = Annotated[WorkspaceContext, require("file:write")]
ExportRead = Annotated[WorkspaceContext, require("export:read")]
ExportWrite = Annotated[WorkspaceContext, require("export:write")]
ReferralRead = Annotated[WorkspaceContext, require("referral:read")]
ReferralWrite = Annotated[WorkspaceContext, require("referral:write")]


def declared_permission(dependant: Any) -> str | None:
    """The permission a route declared through `RequirePermission`, if any."""
    call = getattr(dependant, "call", None)
    if call is not None and hasattr(call, PERMISSION_ATTRIBUTE):
        return str(getattr(call, PERMISSION_ATTRIBUTE))
    for sub in getattr(dependant, "dependencies", []):
        found = declared_permission(sub)
        if found:
            return found
    return None
