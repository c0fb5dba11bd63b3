"""The one permission catalogue: `<group>:<action>` codes, and its tree for the portal."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import cache
from typing import Any

from portico.errors import PermissionDenied

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


def _node_id(code: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, code))


@cache
def tree() -> tuple[dict[str, Any], ...]:
    """Groups with their permissions as children (stable ids)."""
    nodes = []
    for group_order, (group, label) in enumerate(GROUPS.items(), start=1):
        group_id = _node_id(group)
        children = [
            {
                "bizId": _node_id(f"{group}:{action}"),
                "permissionCode": f"{group}:{action}",
                "permissionName": f"{label} {action.capitalize()}",
                "permissionDescription": None,
                "parentBizId": group_id,
                "permissionGroup": group,
                "portalVisibility": None,
                "sortOrder": order,
                "isEnabled": True,
                "children": list[dict[str, Any]](),
            }
            for order, action in enumerate(ACTIONS, start=1)
        ]
        nodes.append(
            {
                "bizId": group_id,
                "permissionCode": group,
                "permissionName": label,
                "permissionDescription": None,
                "parentBizId": None,
                "permissionGroup": group,
                "portalVisibility": None,
                "sortOrder": group_order,
                "isEnabled": True,
                "children": children,
            }
        )
    return tuple(nodes)
