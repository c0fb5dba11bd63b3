-- The statements `portico serve` sends to PostgreSQL for one transfer/command/create to a
-- wallet since the booking moved into portico_book_transfer() (migration 5d0c3a9e7b21): the
-- caller's session, then the one booking call, each a statement of its own (autocommit: no
-- BEGIN, no COMMIT). Run by bench/transfers_floor.py --designs function, which prepends how :a
-- (payer wallet = workspace = account id) and :b (payee) are picked. The answer's five pieces
-- add up to ~640 bytes, like the answer the server stores.
\set key random(1, 9223372036854775806)
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
SELECT outcome, answer FROM portico_book_transfer(1, CAST(:a AS BIGINT), 'LIVE',
    'W' || lpad(CAST(:a AS text), 15, '0'), 'W' || lpad(CAST(:b AS text), 15, '0'), 0.01, 2,
    NULL, substr(md5(CAST(:key AS text)), 1, 16), substr(md5(CAST(:key AS text) || 'p'), 1, 16),
    'workspace-biz-id', 'payer-biz-id', NULL, NULL, now(), CAST(:a AS BIGINT),
    CAST(:key AS text), repeat('h', 64), now() + interval '7 days',
    ARRAY[decode(repeat('7b', 300), 'hex'), decode(repeat('7b', 40), 'hex'),
        decode(repeat('7b', 10), 'hex'), decode(repeat('7b', 10), 'hex'),
        decode(repeat('7b', 280), 'hex')]);
