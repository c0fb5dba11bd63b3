"""PostgreSQL: portico_pay_as_caller(), the caller's check and the booking in one call

The payment's short path (`web.fast_transfers`) read the caller (session, account, membership)
in one statement and booked the transfer (`portico_book_transfer`) in a second. This function
does both in one round trip: it reads the same rows with the same joins, and books only when the
caller is plainly an owner who may pay, as the short path decided in Python: the session not
revoked, not expired and its activity written within the last `p_active_since`; the account
the token names, of the portal code's institution, ACTIVE, without an IP whitelist and not
awaiting approval; a membership of the requested workspace (else the default one) of the
institution, with the OWNER role. Otherwise it answers CALLER and changes nothing, and the
request goes on to the routes, which check everything again and answer as they always do.

The answer comes in six pieces: the five of `portico_book_transfer` with the workspace's bizId
cut out of the first (the default workspace is known only here). A no-op on SQLite.

Revision ID: 7c4f2a91d0e3
Revises: 5d0c3a9e7b21
Create Date: 2026-12-03 19:10:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c4f2a91d0e3"
down_revision: str | None = "5d0c3a9e7b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAY_AS_CALLER = """
CREATE FUNCTION portico_pay_as_caller(
    p_session_biz_id VARCHAR, p_account_biz_id VARCHAR, p_institution_id BIGINT,
    p_workspace_biz_id VARCHAR, p_active_since TIMESTAMPTZ,
    p_from_biz_id VARCHAR, p_to_biz_id VARCHAR,
    p_amount NUMERIC, p_decimals INTEGER, p_currency VARCHAR,
    p_order_biz_id VARCHAR, p_posting_biz_id VARCHAR,
    p_remark VARCHAR, p_client_reference VARCHAR, p_now TIMESTAMPTZ,
    p_key VARCHAR, p_request_hash VARCHAR, p_expires_at TIMESTAMPTZ,
    p_answer BYTEA[],
    OUT outcome TEXT, OUT answer BYTEA, OUT workspace_biz_id VARCHAR
) LANGUAGE plpgsql AS $$
DECLARE
    c RECORD;
BEGIN
    SELECT accounts.id AS account_id, workspaces.id AS workspace_id,
        workspaces.biz_id AS workspace_biz_id, workspaces.kind AS kind,
        workspaces.institution_id AS institution_id
    INTO c
    FROM auth_sessions
    JOIN accounts ON accounts.id = auth_sessions.account_id
    JOIN workspace_members ON workspace_members.id = (
        SELECT m.id FROM workspace_members AS m
        JOIN workspaces AS w ON w.id = m.workspace_id
        WHERE m.account_id = accounts.id AND w.institution_id = accounts.institution_id
            AND (p_workspace_biz_id IS NULL OR w.biz_id = p_workspace_biz_id)
        ORDER BY m.is_default DESC, m.id
        LIMIT 1)
    JOIN workspaces ON workspaces.id = workspace_members.workspace_id
    JOIN workspace_roles ON workspace_roles.id = workspace_members.role_id
    WHERE auth_sessions.biz_id = p_session_biz_id
        AND auth_sessions.revoked_at IS NULL
        AND auth_sessions.expires_at > p_now
        AND auth_sessions.last_activity_time >= p_active_since
        AND accounts.biz_id = p_account_biz_id
        AND accounts.institution_id = p_institution_id
        AND accounts.status = 'ACTIVE'
        AND NOT accounts.ip_whitelist_enabled
        AND NOT accounts.pending_approval
        AND workspace_roles.role_type = 'OWNER';
    IF NOT FOUND THEN
        outcome := 'CALLER';
        RETURN;
    END IF;
    workspace_biz_id := c.workspace_biz_id;
    SELECT b.outcome, b.answer INTO outcome, answer
    FROM portico_book_transfer(c.institution_id, c.workspace_id, c.kind::VARCHAR,
        p_from_biz_id, p_to_biz_id, p_amount, p_decimals, p_currency,
        p_order_biz_id, p_posting_biz_id, c.workspace_biz_id, p_account_biz_id,
        p_remark, p_client_reference, p_now, c.account_id, p_key, p_request_hash,
        p_expires_at,
        ARRAY[p_answer[1] || convert_to(to_json(c.workspace_biz_id)::TEXT, 'UTF8')
            || p_answer[2], p_answer[3], p_answer[4], p_answer[5], p_answer[6]]) AS b;
END
$$
"""


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(PAY_AS_CALLER)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION portico_pay_as_caller(VARCHAR, VARCHAR, BIGINT, VARCHAR, TIMESTAMPTZ,"
            " VARCHAR, VARCHAR, NUMERIC, INTEGER, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR,"
            " TIMESTAMPTZ, VARCHAR, VARCHAR, TIMESTAMPTZ, BYTEA[])"
        )
