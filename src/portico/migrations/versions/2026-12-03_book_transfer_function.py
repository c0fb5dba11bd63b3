"""PostgreSQL: portico_book_transfer(), a transfer to a wallet booked in one call

Claims the idempotency key (an expired one afresh), locks the payer's and the payee's wallets
in id order, checks them in the order the Python path does, and writes the order, the posting,
its two entries, the two new balances and the stored answer. A refusal undoes the claim: the
call then changed nothing, so it can run as a statement of its own (autocommit), with the
wallets locked only while it runs. A no-op on SQLite, which books transfers in Python.

Revision ID: 5d0c3a9e7b21
Revises: 5b1e0c7d9a42
Create Date: 2026-12-03 08:20:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5d0c3a9e7b21"
down_revision: str | None = "5b1e0c7d9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The answer comes in five pieces (`p_answer`): what goes around the payee's account bizId,
# the amount, the fee and the currency, which only the locked wallets tell. `outcome` is
# BOOKED, TAKEN (the key is held by a live record: nothing done), or the refusal the Python
# path would raise at the same point (NOT_FOUND, CURRENCY_MISMATCH, INVALID_AMOUNT,
# SAME_WALLET, WALLET_CLOSED, WALLET_FROZEN, INSUFFICIENT_BALANCE: nothing kept).
BOOK_TRANSFER = """
CREATE FUNCTION portico_book_transfer(
    p_institution_id BIGINT, p_workspace_id BIGINT, p_kind VARCHAR,
    p_from_biz_id VARCHAR, p_to_biz_id VARCHAR,
    p_amount NUMERIC, p_decimals INTEGER, p_currency VARCHAR,
    p_order_biz_id VARCHAR, p_posting_biz_id VARCHAR, p_workspace_biz_id VARCHAR,
    p_payer_biz_id VARCHAR, p_remark VARCHAR, p_client_reference VARCHAR, p_now TIMESTAMPTZ,
    p_account_id BIGINT, p_key VARCHAR, p_request_hash VARCHAR, p_expires_at TIMESTAMPTZ,
    p_answer BYTEA[],
    OUT outcome TEXT, OUT answer BYTEA
) LANGUAGE plpgsql AS $$
DECLARE
    w RECORD;
    v_claim BIGINT;
    v_found BOOLEAN := false;
    v_target BOOLEAN := false;
    s_id BIGINT; s_biz_id VARCHAR; s_workspace_id BIGINT; s_currency VARCHAR;
    s_status VARCHAR; s_available BIGINT;
    t_id BIGINT; t_biz_id VARCHAR; t_workspace_id BIGINT; t_currency VARCHAR;
    t_status VARCHAR; t_available BIGINT; t_owner VARCHAR;
    v_scale INTEGER;
    v_minor BIGINT;
    v_posting BIGINT;
BEGIN
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_records (workspace_id, account_id, idempotency_key,
            request_hash, created_at, expires_at)
        VALUES (p_workspace_id, p_account_id, p_key, p_request_hash, p_now, p_expires_at)
        ON CONFLICT (workspace_id, account_id, idempotency_key) DO UPDATE
            SET request_hash = EXCLUDED.request_hash, created_at = EXCLUDED.created_at,
                expires_at = EXCLUDED.expires_at, status_code = NULL, response_body = NULL
            WHERE idempotency_records.expires_at <= EXCLUDED.created_at
        RETURNING id INTO v_claim;
        IF v_claim IS NULL THEN
            outcome := 'TAKEN';
            RETURN;
        END IF;
    END IF;

    -- Both wallets found and locked by one statement, in id order (no deadlock between two
    -- transfers over the same pair, whichever way they pay).
    FOR w IN
        SELECT wallets.id, wallets.biz_id, wallets.workspace_id, wallets.currency,
            wallets.status, wallets.available,
            (SELECT accounts.biz_id FROM accounts
                JOIN workspace_members ON workspace_members.account_id = accounts.id
                WHERE workspace_members.workspace_id = wallets.workspace_id
                    AND workspace_members.is_owner IS true
                ORDER BY workspace_members.id LIMIT 1) AS owner_biz_id
        FROM wallets JOIN workspaces ON workspaces.id = wallets.workspace_id
        WHERE wallets.institution_id = p_institution_id
            AND ((wallets.biz_id = p_from_biz_id AND wallets.workspace_id = p_workspace_id)
                OR (wallets.biz_id = p_to_biz_id AND workspaces.kind = p_kind))
        ORDER BY wallets.id
        FOR UPDATE OF wallets
    LOOP
        IF NOT v_found AND w.biz_id = p_from_biz_id AND w.workspace_id = p_workspace_id THEN
            v_found := true;
            s_id := w.id; s_biz_id := w.biz_id; s_workspace_id := w.workspace_id;
            s_currency := w.currency; s_status := w.status; s_available := w.available;
        END IF;
        IF NOT v_target AND w.biz_id = p_to_biz_id THEN
            v_target := true;
            t_id := w.id; t_biz_id := w.biz_id; t_workspace_id := w.workspace_id;
            t_currency := w.currency; t_status := w.status; t_available := w.available;
            t_owner := w.owner_biz_id;
        END IF;
    END LOOP;

    IF NOT v_found THEN
        outcome := 'NOT_FOUND';
        DELETE FROM idempotency_records WHERE id = v_claim;
        RETURN;
    END IF;
    IF p_currency IS NOT NULL AND p_currency <> s_currency THEN
        outcome := 'CURRENCY_MISMATCH';
        DELETE FROM idempotency_records WHERE id = v_claim;
        RETURN;
    END IF;
    SELECT currencies.scale INTO v_scale FROM currencies WHERE currencies.code = s_currency;
    IF v_scale IS NULL THEN
        outcome := 'NOT_FOUND';
        DELETE FROM idempotency_records WHERE id = v_claim;
        RETURN;
    END IF;
    IF p_amount <= 0 OR p_decimals > v_scale THEN
        outcome := 'INVALID_AMOUNT';
        DELETE FROM idempotency_records WHERE id = v_claim;
        RETURN;
    END IF;
    IF NOT v_target THEN
        outcome := 'NOT_FOUND';
        DELETE FROM idempotency_records WHERE id = v_claim;
        RETURN;
    END IF;
    IF t_currency <> s_currency THEN
        outcome := 'CURRENCY_MISMATCH';
        DELETE FROM idempotency_records WHERE id = v_claim;
        RETURN;
    END IF;
    IF t_id = s_id THEN
        outcome := 'SAME_WALLET';
        DELETE FROM idempotency_records WHERE id = v_claim;
        RETURN;
    END IF;
    IF s_status = 'CLOSED' OR t_status = 'CLOSED' THEN
        outcome := 'WALLET_CLOSED';
        DELETE FROM idempotency_records WHERE id = v_claim;
        RETURN;
    END IF;
    IF s_status <> 'ACTIVE' OR t_status <> 'ACTIVE' THEN
        outcome := 'WALLET_FROZEN';
        DELETE FROM idempotency_records WHERE id = v_claim;
        RETURN;
    END IF;
    v_minor := (p_amount * power(10::NUMERIC, v_scale))::BIGINT;
    IF s_available < v_minor THEN
        outcome := 'INSUFFICIENT_BALANCE';
        DELETE FROM idempotency_records WHERE id = v_claim;
        RETURN;
    END IF;

    INSERT INTO transfer_orders (biz_id, workspace_id, payee_workspace_id, institution_id,
        from_wallet_id, to_wallet_id, from_wallet_biz_id, to_wallet_biz_id, workspace_biz_id,
        payer_account_biz_id, payee_account_biz_id, amount, fee, currency, status, remark,
        client_reference, payer_hidden, payee_hidden, created_at, updated_at, completed_at)
    VALUES (p_order_biz_id, p_workspace_id, t_workspace_id, p_institution_id, s_id, t_id,
        s_biz_id, t_biz_id, p_workspace_biz_id, p_payer_biz_id, t_owner, v_minor, 0,
        s_currency, 'COMPLETED', p_remark, p_client_reference, false, false, p_now, p_now,
        p_now);
    INSERT INTO ledger_postings (biz_id, institution_id, posting_type, order_biz_id, created_at)
    VALUES (p_posting_biz_id, p_institution_id, 'TRANSFER', p_order_biz_id, p_now)
    RETURNING id INTO v_posting;
    INSERT INTO ledger_entries (posting_id, institution_id, currency, account, wallet_id,
        workspace_id, amount, balance_before, balance_after, biz_type, order_biz_id, remark,
        created_at)
    VALUES
        (v_posting, p_institution_id, s_currency, 'WALLET', s_id, s_workspace_id, -v_minor,
            s_available, s_available - v_minor, 'TRANSFER_OUT', p_order_biz_id, p_remark, p_now),
        (v_posting, p_institution_id, s_currency, 'WALLET', t_id, t_workspace_id, v_minor,
            t_available, t_available + v_minor, 'TRANSFER_IN', p_order_biz_id, p_remark, p_now);
    UPDATE wallets SET available = b.available, updated_at = p_now
    FROM (VALUES (s_id, s_available - v_minor), (t_id, t_available + v_minor))
        AS b(id, available)
    WHERE wallets.id = b.id;

    answer := p_answer[1] || convert_to(COALESCE(to_json(t_owner)::TEXT, 'null'), 'UTF8')
        || p_answer[2] || convert_to('"' || round(p_amount, v_scale)::TEXT || '"', 'UTF8')
        || p_answer[3] || convert_to('"' || round(0::NUMERIC, v_scale)::TEXT || '"', 'UTF8')
        || p_answer[4] || convert_to(to_json(s_currency)::TEXT, 'UTF8')
        || p_answer[5];
    IF v_claim IS NOT NULL THEN
        UPDATE idempotency_records SET status_code = 201, response_body = answer
        WHERE idempotency_records.id = v_claim;
    END IF;
    outcome := 'BOOKED';
END
$$
"""


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(BOOK_TRANSFER)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION portico_book_transfer(BIGINT, BIGINT, VARCHAR, VARCHAR, VARCHAR,"
            " NUMERIC, INTEGER, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR,"
            " TIMESTAMPTZ, BIGINT, VARCHAR, VARCHAR, TIMESTAMPTZ, BYTEA[])"
        )
