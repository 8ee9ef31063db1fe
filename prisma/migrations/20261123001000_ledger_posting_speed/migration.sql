-- Ledger posting speed (issue #6): the same rules as 20261123000200_ledger,
-- enforced at less cost per posting. Profiling a posting (perf on the backend,
-- auto_explain of the nested statements) showed where the server's time went:
--
--   * planning: post_journal_entry()'s statements were planned afresh on every
--     call. Their only parameters are the proposal and the arrays read from it,
--     which the planner prices better with the values known, so the plan cache
--     kept choosing custom plans — about a quarter of the server's CPU;
--   * the composite array of locked accounts (ledger_account[]) built by one
--     statement and unnested by the next;
--   * the WHEN clause of the account guard trigger, read back from its stored
--     form on every UPDATE statement;
--   * the per-statement balance trigger: a cursor loop calling a second
--     PL/pgSQL function per entry.
--
-- Nothing is relaxed: every check that held before still holds, for any writer.

-- ─── Posting ────────────────────────────────────────────────────────────────
-- Same contract as before (see 20261123000200_ledger): one round trip; answers
-- {status: 'posted' | 'replayed' | 'key_reused' | 'already_reversed' |
-- 'unknown_account' | 'currency_mismatch' | 'account_would_go_negative', ...};
-- a refusal writes nothing. Two statements on the hot path instead of three.
--
-- plan_cache_mode: each statement's shape is the same whatever the proposal,
-- so one generic plan per connection serves every call.
CREATE OR REPLACE FUNCTION post_journal_entry(proposal JSONB) RETURNS JSONB
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_problem JSONB;
  v_posted JSONB;
  v_setting TEXT;
BEGIN
  -- Lock the accounts in id order (so that postings over shared accounts
  -- queue rather than deadlock) and, in the same statement, find the first
  -- line whose account is unknown, in another currency, or would be
  -- overdrawn. The balances compared are those of the locked rows, which
  -- nobody else can change until we commit. Every account is locked whatever
  -- is found: the grouping consumes the whole join, and the join reads every
  -- locked row. NO KEY UPDATE because only the balance changes: it does not
  -- block other postings' foreign-key checks on these accounts. The CHECK on
  -- ledger_account refuses an overdraft anyway; checking first reports the
  -- figures and leaves the caller's transaction usable.
  SELECT jsonb_build_object(
           'status', CASE WHEN unknown THEN 'unknown_account'
                          WHEN line_currency IS NOT NULL THEN 'currency_mismatch'
                          ELSE 'account_would_go_negative' END,
           'line_no', line_no, 'account_id', account_id, 'code', code,
           'account_currency', account_currency, 'line_currency', line_currency,
           'balance', balance::TEXT, 'balance_after', balance_after::TEXT)
    INTO v_problem
    FROM (SELECT min(line.line_no) AS line_no,
                 line.account_id,
                 account.id IS NULL AS unknown,
                 account.code,
                 account.currency AS account_currency,
                 min(line.currency) FILTER (WHERE line.currency IS DISTINCT FROM account.currency) AS line_currency,
                 account.must_not_go_negative,
                 account.balance,
                 account.balance + sum(ledger_signed_amount(account.normal_balance, line.side, line.amount)) AS balance_after
            FROM ledger_proposal_lines(proposal) AS line
            LEFT JOIN (SELECT id, code, currency, normal_balance, must_not_go_negative, balance
                         FROM ledger_account
                        WHERE id = ANY (ARRAY(SELECT account_id FROM ledger_proposal_lines(proposal)))
                        ORDER BY id
                          FOR NO KEY UPDATE) AS account
              ON account.id = line.account_id
           GROUP BY line.account_id, account.id, account.code, account.currency,
                    account.must_not_go_negative, account.balance) AS per_account
   WHERE unknown OR line_currency IS NOT NULL OR (must_not_go_negative AND balance_after < 0)
   ORDER BY line_no
   LIMIT 1;

  IF v_problem IS NULL THEN
    -- An assignment, not PERFORM: evaluated without starting an executor.
    v_setting := set_config('godown.ledger_posting', 'on', true);
    -- Entry, lines and balances in one statement. ON CONFLICT DO NOTHING
    -- covers a key (or a reversal of the same entry) already posted, or in
    -- flight in another transaction: the insert waits for it, then nothing
    -- at all is written.
    WITH entry AS (
      INSERT INTO journal_entry (id, idempotency_key, content_hash, description, effective_date,
                                 reverses_entry_id, account_set_id, metadata)
      VALUES (gen_random_uuid(),
              proposal->>'idempotency_key',
              proposal->>'content_hash',
              proposal->>'description',
              (proposal->>'effective_date')::DATE,
              (proposal->>'reverses_entry_id')::UUID,
              (proposal->>'account_set_id')::UUID,
              nullif(proposal->'metadata', 'null'::JSONB))
      ON CONFLICT DO NOTHING
      RETURNING id, recorded_at, seq),
    posted_line AS (
      INSERT INTO journal_line (id, entry_id, line_no, account_id, side, amount, currency)
      SELECT gen_random_uuid(), entry.id, line.line_no, line.account_id, line.side, line.amount, line.currency
        FROM entry, ledger_proposal_lines(proposal) AS line),
    balance_update AS (
      -- The sign rule of ledger_signed_amount, applied once per account;
      -- balance + movement (not a value computed above), so that the update
      -- is right even for a row it had to wait for.
      UPDATE ledger_account AS account
         SET balance = account.balance + movement.debits_minus_credits
                       * CASE account.normal_balance WHEN 'DEBIT' THEN 1 ELSE -1 END
        FROM (SELECT line.account_id,
                     sum(CASE line.side WHEN 'DEBIT' THEN line.amount ELSE -line.amount END) AS debits_minus_credits
                FROM ledger_proposal_lines(proposal) AS line
               GROUP BY line.account_id) AS movement
       -- An index scan, however many accounts the ledger holds.
       WHERE account.id = ANY (ARRAY(SELECT account_id FROM ledger_proposal_lines(proposal)))
         AND account.id = movement.account_id
         AND EXISTS (SELECT 1 FROM entry))
    SELECT jsonb_build_object(
             'status', 'posted',
             'entry_id', entry.id,
             'recorded_at', to_char(entry.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
             'seq', entry.seq::TEXT)
      INTO v_posted
      FROM entry;
    v_setting := set_config('godown.ledger_posting', 'off', true);
    IF v_posted IS NOT NULL THEN
      RETURN v_posted;
    END IF;
  END IF;

  -- Not posted: an earlier entry explains it best (a replay is not a
  -- refusal, even if the same lines would now overdraw an account).
  v_posted := coalesce(journal_entry_earlier(proposal), v_problem);
  IF v_posted IS NULL THEN
    RAISE EXCEPTION 'journal entry % conflicted on insert yet no earlier entry explains it',
      proposal->>'idempotency_key';
  END IF;
  RETURN v_posted;
END;
$$;

-- ─── Balanced entries ───────────────────────────────────────────────────────
-- Same rule and messages as before: after each statement that inserts lines,
-- every entry it touched has at least two lines and balances in each
-- currency. One query for all the touched entries instead of a cursor over
-- them calling journal_entry_imbalance() for each.
CREATE OR REPLACE FUNCTION journal_line_entries_must_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_unbalanced RECORD;
BEGIN
  SELECT entry_id, imbalance INTO v_unbalanced
    FROM (SELECT entry_id,
                 CASE WHEN sum(line_count) < 2
                        THEN format('has %s line(s); a journal entry needs at least 2', sum(line_count))
                      ELSE string_agg(format('%s debits %s <> credits %s', currency, debits, credits), '; ')
                             FILTER (WHERE debits <> credits)
                 END AS imbalance
            FROM (SELECT line.entry_id,
                         line.currency,
                         count(*) AS line_count,
                         coalesce(sum(line.amount) FILTER (WHERE line.side = 'DEBIT'), 0) AS debits,
                         coalesce(sum(line.amount) FILTER (WHERE line.side = 'CREDIT'), 0) AS credits
                    FROM journal_line AS line
                   WHERE line.entry_id IN (SELECT entry_id FROM inserted_line)
                   GROUP BY line.entry_id, line.currency) AS per_currency
           GROUP BY entry_id) AS per_entry
   WHERE imbalance IS NOT NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % is not a balanced double entry: %', v_unbalanced.entry_id, v_unbalanced.imbalance
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END;
$$;

-- ─── Account guard ──────────────────────────────────────────────────────────
-- Same rule as before: an account's definition is fixed once created (only
-- its name may be corrected) and its balance changes only inside
-- post_journal_entry(). Split in two column triggers: PostgreSQL considers an
-- UPDATE OF trigger only when its columns are among those the UPDATE sets
-- (and no BEFORE trigger on ledger_account rewrites a row, so the columns set
-- are the only ones that can change), so a posting, which sets only balance,
-- no longer reads and evaluates the definition comparison, only the short
-- balance condition.
DROP TRIGGER ledger_account_definition_fixed ON "ledger_account";

CREATE TRIGGER ledger_account_definition_fixed
  BEFORE UPDATE OF "id", "account_set_id", "code", "type", "normal_balance", "currency",
                   "must_not_go_negative", "created_at"
  ON "ledger_account"
  FOR EACH ROW WHEN (
    (OLD."id", OLD."account_set_id", OLD."code", OLD."type", OLD."normal_balance", OLD."currency",
     OLD."must_not_go_negative", OLD."created_at")
      IS DISTINCT FROM
    (NEW."id", NEW."account_set_id", NEW."code", NEW."type", NEW."normal_balance", NEW."currency",
     NEW."must_not_go_negative", NEW."created_at"))
  EXECUTE FUNCTION ledger_account_refuse_change();

CREATE TRIGGER ledger_account_balance_by_posting_only
  BEFORE UPDATE OF "balance" ON "ledger_account"
  FOR EACH ROW WHEN (
    OLD."balance" IS DISTINCT FROM NEW."balance"
    AND current_setting('godown.ledger_posting', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION ledger_account_refuse_change();
