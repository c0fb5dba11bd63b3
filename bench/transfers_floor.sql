-- The statements `portico serve` sends to PostgreSQL for one transfer/command/create, in order,
-- one transaction (captured with log_statement = 'all'); run by bench/transfers_floor.py, which
-- prepends how :a (payer wallet = workspace = account id) and :b (payee) are picked.
-- Wallet n's bizId is 'W' + n padded to 16, account n's session 'S' + n padded to 32.
\set key random(1, 9223372036854775806)
BEGIN;
SELECT auth_sessions.id, auth_sessions.biz_id, auth_sessions.account_id, auth_sessions.client_ip,
    auth_sessions.user_agent, auth_sessions.client_hash, auth_sessions.client_country,
    auth_sessions.locale, auth_sessions.login_time, auth_sessions.last_activity_time,
    auth_sessions.expires_at, auth_sessions.revoked_at, auth_sessions.revoke_reason, accounts.id AS
    id_1, accounts.biz_id AS biz_id_1, accounts.institution_id, accounts.portal, accounts.email,
    accounts.phone, accounts.name, accounts.remark, accounts.status, accounts.pending_approval,
    accounts.password_hash, accounts.password_changed_at, accounts.default_language,
    accounts.default_timezone, accounts.default_country, accounts.max_sessions,
    accounts.last_login_at, accounts.last_login_ip, accounts.ip_whitelist_enabled,
    accounts.ip_whitelist, accounts.created_at, accounts.updated_at, workspace_members.id AS id_2,
    workspace_members.workspace_id, workspace_members.account_id AS account_id_1,
    workspace_members.role_id, workspace_members.join_source, workspace_members.is_owner,
    workspace_members.is_default, workspace_members.created_at AS created_at_1,
    workspace_members.updated_at AS updated_at_1, workspaces.id AS id_3, workspaces.biz_id AS
    biz_id_2, workspaces.institution_id AS institution_id_1, workspaces.name AS name_1,
    workspaces.timezone, workspaces.kind, workspaces.status AS status_1, workspaces.entity_biz_id,
    workspaces.extra_data, workspaces.created_at AS created_at_2, workspaces.updated_at AS
    updated_at_2, workspace_roles.id AS id_4, workspace_roles.biz_id AS biz_id_3,
    workspace_roles.workspace_id AS workspace_id_1, workspace_roles.name AS name_2,
    workspace_roles.role_type, workspace_roles.description, workspace_roles.is_builtin,
    workspace_roles.permission_codes, workspace_roles.created_at AS created_at_3,
    workspace_roles.updated_at AS updated_at_3 FROM auth_sessions JOIN accounts ON accounts.id =
    auth_sessions.account_id LEFT OUTER JOIN workspace_members ON workspace_members.id = (SELECT
    workspace_members_1.id FROM workspace_members AS workspace_members_1 JOIN workspaces AS
    workspaces_1 ON workspaces_1.id = workspace_members_1.workspace_id WHERE
    workspace_members_1.account_id = accounts.id AND workspaces_1.institution_id =
    accounts.institution_id ORDER BY workspace_members_1.is_default DESC, workspace_members_1.id
    LIMIT 1) LEFT OUTER JOIN workspaces ON workspaces.id = workspace_members.workspace_id LEFT
    OUTER JOIN workspace_roles ON workspace_roles.id = workspace_members.role_id WHERE
    auth_sessions.biz_id = 'S' || lpad(CAST(:a AS text), 31, '0');
INSERT INTO idempotency_records (workspace_id, account_id, idempotency_key, request_hash,
    created_at, expires_at) VALUES (CAST(:a AS BIGINT), CAST(:a AS BIGINT), CAST(:key AS text),
    repeat('h', 64), now(), now() + interval '7 days') ON CONFLICT (workspace_id, account_id,
    idempotency_key) DO NOTHING RETURNING idempotency_records.id \gset
SELECT wallets.id, wallets.biz_id, wallets.workspace_id, wallets.institution_id, wallets.currency,
    wallets.name, wallets.wallet_type, wallets.status, wallets.available, wallets.frozen,
    wallets.flows_since, wallets.created_at, wallets.updated_at, (SELECT accounts.biz_id FROM
    accounts JOIN workspace_members ON workspace_members.account_id = accounts.id WHERE
    workspace_members.workspace_id = wallets.workspace_id AND workspace_members.is_owner IS true
    ORDER BY workspace_members.id LIMIT 1) AS anon_1 FROM wallets JOIN workspaces ON workspaces.id
    = wallets.workspace_id WHERE wallets.institution_id = 1 AND (wallets.biz_id = 'W' ||
    lpad(CAST(:a AS text), 15, '0') AND wallets.workspace_id = CAST(:a AS BIGINT) OR wallets.biz_id
    = 'W' || lpad(CAST(:b AS text), 15, '0') AND workspaces.kind = 'LIVE') ORDER BY wallets.id FOR
    UPDATE OF wallets;
INSERT INTO transfer_orders (biz_id, workspace_id, payee_workspace_id, institution_id,
    from_wallet_id, to_wallet_id, from_wallet_biz_id, to_wallet_biz_id, workspace_biz_id,
    payer_account_biz_id, payee_account_biz_id, amount, fee, currency, status, remark,
    client_reference, payer_hidden, payee_hidden, created_at, updated_at, completed_at) VALUES
    (substr(md5(CAST(:key AS text)), 1, 16), CAST(:a AS BIGINT), CAST(:b AS BIGINT), 1, CAST(:a AS
    BIGINT), CAST(:b AS BIGINT), 'W' || lpad(CAST(:a AS text), 15, '0'), 'W' || lpad(CAST(:b AS
    text), 15, '0'), 'workspace-biz-id', 'payer-biz-id', 'payee-biz-id', 1, 0, 'USD', 'COMPLETED',
    NULL, NULL, false, false, now(), now(), now()) RETURNING transfer_orders.id;
WITH posting AS (INSERT INTO ledger_postings (biz_id, institution_id, posting_type, order_biz_id,
    created_at) VALUES (substr(md5(CAST(:key AS text) || 'p'), 1, 16), 1, 'TRANSFER',
    substr(md5(CAST(:key AS text)), 1, 16), now()) RETURNING id), balances AS (UPDATE wallets SET
    available = wallets.available + b.delta, frozen = wallets.frozen, updated_at = now() FROM
    unnest(ARRAY[CAST(:a AS BIGINT), CAST(:b AS BIGINT)], ARRAY[-1, 1]) AS b(id, delta) WHERE
    wallets.id = b.id), entries AS (INSERT INTO ledger_entries (posting_id, institution_id,
    currency, account, wallet_id, workspace_id, amount, balance_before, balance_after, biz_type,
    order_biz_id, remark, created_at) SELECT posting.id, 1, 'USD', 'WALLET', e.wallet_id,
    e.wallet_id, e.amount, 0, 0, e.biz_type, substr(md5(CAST(:key AS text)), 1, 16), NULL, now()
    FROM posting, unnest(ARRAY[CAST(:a AS BIGINT), CAST(:b AS BIGINT)], ARRAY[-1, 1],
    ARRAY['TRANSFER_OUT', 'TRANSFER_IN']) WITH ORDINALITY AS e(wallet_id, amount, biz_type, n)
    ORDER BY e.n) SELECT id FROM posting;
UPDATE idempotency_records SET status_code = 201, response_body = decode(repeat('7b', 640), 'hex')
    WHERE idempotency_records.id = CAST(:id AS BIGINT) AND idempotency_records.workspace_id =
    CAST(:a AS BIGINT);
COMMIT;
