"""unique rules enforced by the database

One TOTP (and one backup-code) enrolment per account, one PENDING invitation per email and
workspace, one default workspace per account, one default withdrawal channel per workspace, role
names unique in a workspace whatever their case. Rows that broke a rule (made by parallel
requests before this migration) are put right first, so the indexes apply to old databases.

Revision ID: 771bd2211906
Revises: 67906b5de2ce
Create Date: 2026-12-02 04:40:00.000000+00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "771bd2211906"
down_revision: str | None = "67906b5de2ce"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'PENDING'")
DEFAULT = sa.text("is_default")
ROLE_NAME_MAX = 100


def _all_but_one(action: str, table: str, partition: str, keep: str, where: str = "") -> None:
    """Apply `action` (`DELETE FROM t`, `UPDATE t SET …`) to every row of each group but the
    one kept (the first by `keep`). Constant SQL, no user input."""
    op.execute(
        f"{action} WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER "  # noqa: S608
        f"(PARTITION BY {partition} ORDER BY {keep}) AS n FROM {table} {where}) AS ranked "
        "WHERE n > 1)"
    )


def _partial_unique_index(table: str, name: str, columns: list[str], where: Any) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(
            name, columns, unique=True, sqlite_where=where, postgresql_where=where
        )


def _role_name_keys() -> None:
    """Fill `name_key`; a name met twice in a workspace gets a suffix (` (2)`, ` (3)` …)."""
    connection = op.get_bind()
    roles = sa.table(
        "workspace_roles",
        sa.column("id", sa.BigInteger()),
        sa.column("workspace_id", sa.BigInteger()),
        sa.column("name", sa.String()),
        sa.column("name_key", sa.String()),
    )
    taken: set[tuple[int, str]] = set()
    rows = connection.execute(
        sa.select(roles.c.id, roles.c.workspace_id, roles.c.name).order_by(roles.c.id)
    ).all()
    for role_id, workspace_id, name in rows:
        candidate, n = name, 1
        while (workspace_id, candidate.strip().casefold()) in taken:
            n += 1
            suffix = f" ({n})"
            candidate = name[: ROLE_NAME_MAX - len(suffix)] + suffix
        key = candidate.strip().casefold()
        taken.add((workspace_id, key))
        connection.execute(
            sa.update(roles).where(roles.c.id == role_id).values(name=candidate, name_key=key)
        )


def upgrade() -> None:
    # MFA: keep each account's enabled row of a method, else its newest.
    _all_but_one(
        "DELETE FROM mfa_enrollments",
        "mfa_enrollments",
        "account_id, method",
        "is_enabled DESC, id DESC",
    )
    with op.batch_alter_table("mfa_enrollments", schema=None) as batch_op:
        batch_op.create_index(
            "uq_mfa_enrollments_account_id_method", ["account_id", "method"], unique=True
        )

    # Invitations: of several PENDING ones for an email, the newest stays.
    _all_but_one(
        "UPDATE invitations SET status = 'CANCELLED'",
        "invitations",
        "workspace_id, email",
        "id DESC",
        "WHERE status = 'PENDING'",
    )
    _partial_unique_index(
        "invitations",
        "uq_invitations_workspace_id_email_pending",
        ["workspace_id", "email"],
        PENDING,
    )

    # Default workspaces: the one the server already used (the oldest membership) stays; an
    # account left without one gets its oldest owned workspace (else its oldest membership).
    _all_but_one(
        "UPDATE workspace_members SET is_default = FALSE",
        "workspace_members",
        "account_id",
        "id",
        "WHERE is_default",
    )
    op.execute(
        "UPDATE workspace_members SET is_default = TRUE WHERE id IN ("
        "SELECT (SELECT first.id FROM workspace_members AS first "
        "WHERE first.account_id = m.account_id ORDER BY first.is_owner DESC, first.id LIMIT 1) "
        "FROM workspace_members AS m GROUP BY m.account_id "
        "HAVING SUM(CASE WHEN m.is_default THEN 1 ELSE 0 END) = 0)"
    )
    _partial_unique_index(
        "workspace_members", "uq_workspace_members_account_id_default", ["account_id"], DEFAULT
    )

    # Withdrawal channels: the first listed default stays.
    _all_but_one(
        "UPDATE withdrawal_channels SET is_default = FALSE",
        "withdrawal_channels",
        "workspace_id",
        "id",
        "WHERE is_default",
    )
    _partial_unique_index(
        "withdrawal_channels",
        "uq_withdrawal_channels_workspace_id_default",
        ["workspace_id"],
        DEFAULT,
    )

    # Role names: compared without case, through a stored key.
    with op.batch_alter_table("workspace_roles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_key", sa.String(length=400), server_default="", nullable=False)
        )
    _role_name_keys()
    with op.batch_alter_table("workspace_roles", schema=None) as batch_op:
        batch_op.create_index(
            "uq_workspace_roles_workspace_id_name_key", ["workspace_id", "name_key"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("workspace_roles", schema=None) as batch_op:
        batch_op.drop_index("uq_workspace_roles_workspace_id_name_key")
        batch_op.drop_column("name_key")
    with op.batch_alter_table("withdrawal_channels", schema=None) as batch_op:
        batch_op.drop_index("uq_withdrawal_channels_workspace_id_default")
    with op.batch_alter_table("workspace_members", schema=None) as batch_op:
        batch_op.drop_index("uq_workspace_members_account_id_default")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("uq_invitations_workspace_id_email_pending")
    with op.batch_alter_table("mfa_enrollments", schema=None) as batch_op:
        batch_op.drop_index("uq_mfa_enrollments_account_id_method")
