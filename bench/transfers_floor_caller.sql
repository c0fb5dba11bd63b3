-- The one statement `portico serve` sends to PostgreSQL for a transfer/command/create to a
-- wallet on its short path since migration 7c4f2a91d0e3: portico_pay_as_caller(), the caller's
-- check (session, account, default workspace membership, owner role) and the booking
-- (portico_book_transfer) in one call, autocommit. Run by bench/transfers_floor.py --designs
-- caller, which prepends how :a (payer: account = workspace = wallet id, session and account
-- bizIds derived from it) and :b (payee) are picked. The answer's six pieces add up to ~640
-- bytes with the workspace's bizId the call puts in, like the answer the server stores.
-- (The session's activity is taken as recent: the floor writes none, the server once a minute.)
\set key random(1, 9223372036854775806)
SELECT outcome, answer, workspace_biz_id FROM portico_pay_as_caller(
    'S' || lpad(CAST(:a AS text), 31, '0'), 'A' || lpad(CAST(:a AS text), 15, '0'), 1, NULL,
    now() - interval '1 day',
    'W' || lpad(CAST(:a AS text), 15, '0'), 'W' || lpad(CAST(:b AS text), 15, '0'), 0.01, 2,
    NULL, substr(md5(CAST(:key AS text)), 1, 16), substr(md5(CAST(:key AS text) || 'p'), 1, 16),
    NULL, NULL, now(), CAST(:key AS text), repeat('h', 64), now() + interval '7 days',
    ARRAY[decode(repeat('7b', 150), 'hex'), decode(repeat('7b', 130), 'hex'),
        decode(repeat('7b', 40), 'hex'), decode(repeat('7b', 10), 'hex'),
        decode(repeat('7b', 10), 'hex'), decode(repeat('7b', 280), 'hex')]);
