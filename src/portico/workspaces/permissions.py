"""The one permission catalogue: `<group>:<action>` codes, and its tree for the portal."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import cache
from typing import Annotated, Any

from pydantic import StringConstraints, WithJsonSchema

from portico.enums import RoleType
from portico.errors import PermissionDenied
from portico.workspaces.models import WorkspaceRole

# Group -> label; every group has `read` and `write`.
GROUPS: dict[str, str] = {
    "workspace": "Workspace",
    "member": "Member",
    "role": "Role",
    "apikey": "Apikey",
    "wallet": "Wallet",
    "transfer": "Transfer",
    "exchange": "Exchange",
    "recharge": "Recharge",
    "withdrawal": "Withdrawal",
    "export": "Export",
    "file": "File",
    "referral": "Referral",
    # The onboarding API (`/caas-lcm/...`), for a partner's API keys: `onboarding:read` looks
    # customers up and reads subscriptions, `onboarding:write` onboards.
    "onboarding": "Onboarding",
}
ACTIONS = ("read", "write")
# A route open to every member of the workspace (no permission beyond membership).
MEMBERSHIP = "member"

_NAMESPACE = uuid.UUID("6f1c1d7e-8b5e-4a43-9d3c-5e0f2b7a9c11")


@cache
def all_codes() -> tuple[str, ...]:
    return tuple(f"{group}:{action}" for group in GROUPS for action in ACTIONS)


def is_known(code: str) -> bool:
    return code in all_codes()


def refuse_grants(held: frozenset[str], granted: Iterable[str]) -> None:
    """Nobody hands out a permission they do not hold themselves (the OWNER holds them all):
    through a role change, a role's permissions, an invitation or an API key's scopes."""
    if not set(granted) <= held:
        raise PermissionDenied()


# A permission code in a request (role permissions, API key scopes): any string is read, an
# unknown one is refused by the service (400); the schema lists the codes that are accepted.
PermissionCodeIn = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    WithJsonSchema({"type": "string", "enum": list(all_codes())}),
]


# The documents show these two nodes; their ids are kept, the others are derived from the code.
_DOCUMENTED_NODE_IDS = {
    "apikey:read": "64db79b4-af35-4101-8f76-a1096183df5a",
    "apikey:write": "09ef9df3-7434-4e2a-8e78-4b25cd64db34",
}
# The documents list a key's grantable permissions starting `wallet:read`, `transfer:read`:
# the money groups first, every `read` before the `write`s.
_API_KEY_GROUP_ORDER = (
    "wallet",
    "transfer",
    "exchange",
    "recharge",
    "withdrawal",
    "export",
    "file",
    "referral",
    "onboarding",
    "workspace",
    "member",
    "role",
    "apikey",
)


def _node_id(code: str) -> str:
    return _DOCUMENTED_NODE_IDS.get(code) or str(uuid.uuid5(_NAMESPACE, code))


@cache
def api_key_order() -> tuple[str, ...]:
    """Every code in the order `api-keys/available-permissions` lists them."""
    return tuple(f"{group}:{action}" for action in ACTIONS for group in _API_KEY_GROUP_ORDER)


@cache
def tree() -> tuple[dict[str, Any], ...]:
    """The catalogue as the documents show it: one root per permission (no group nodes), each
    naming its `permissionGroup`, in code order (`apikey:read`, `apikey:write`, ...)."""
    nodes = []
    for order, code in enumerate(sorted(all_codes()), start=1):
        group, action = code.split(":")
        nodes.append(
            {
                "bizId": _node_id(code),
                "permissionCode": code,
                "permissionName": f"{GROUPS[group]} {action.capitalize()}",
                "permissionDescription": None,
                "parentBizId": None,
                "permissionGroup": group,
                "portalVisibility": None,
                "sortOrder": order,
                "isEnabled": True,
                "children": list[dict[str, Any]](),
            }
        )
    return tuple(nodes)


def role_permissions(role: WorkspaceRole) -> frozenset[str]:
    """OWNER holds every permission; other roles hold their codes."""
    return permissions_of(role.role_type, role.permission_codes)


def permissions_of(role_type: str, permission_codes: Iterable[str] | None) -> frozenset[str]:
    """The permissions a role of `role_type` with `permission_codes` holds (`role_permissions`)."""
    if role_type == RoleType.OWNER:
        return frozenset(all_codes())
    return frozenset(c for c in (permission_codes or []) if is_known(c))
