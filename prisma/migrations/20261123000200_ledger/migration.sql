-- CreateEnum
CREATE TYPE "LedgerAccountType" AS ENUM ('ASSET', 'LIABILITY', 'INCOME', 'EXPENSE', 'EQUITY');

-- CreateEnum
CREATE TYPE "LedgerSide" AS ENUM ('DEBIT', 'CREDIT');

-- CreateTable
CREATE TABLE "ledger_account" (
    "id" UUID NOT NULL,
    "account_set_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "type" "LedgerAccountType" NOT NULL,
    "normal_balance" "LedgerSide" NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "must_not_go_negative" BOOLEAN NOT NULL DEFAULT false,
    "balance" DECIMAL(38,18) NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "journal_entry" (
    "id" UUID NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "effective_date" DATE NOT NULL,
    "recorded_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "reverses_entry_id" UUID,
    "account_set_id" UUID,
    "metadata" JSONB,
    "seq" BIGSERIAL NOT NULL,

    CONSTRAINT "journal_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "journal_line" (
    "id" UUID NOT NULL,
    "entry_id" UUID NOT NULL,
    "line_no" INTEGER NOT NULL,
    "account_id" UUID NOT NULL,
    "side" "LedgerSide" NOT NULL,
    "amount" DECIMAL(38,18) NOT NULL,
    "currency" CHAR(3) NOT NULL,

    CONSTRAINT "journal_line_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ledger_account_account_set_id_code_key" ON "ledger_account"("account_set_id", "code");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_account_id_currency_key" ON "ledger_account"("id", "currency");

-- CreateIndex
CREATE UNIQUE INDEX "journal_entry_idempotency_key_key" ON "journal_entry"("idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "journal_entry_reverses_entry_id_key" ON "journal_entry"("reverses_entry_id");

-- CreateIndex
CREATE INDEX "journal_line_account_id_idx" ON "journal_line"("account_id");

-- CreateIndex
CREATE UNIQUE INDEX "journal_line_entry_id_line_no_key" ON "journal_line"("entry_id", "line_no");

-- AddForeignKey
ALTER TABLE "journal_entry" ADD CONSTRAINT "journal_entry_reverses_entry_id_fkey" FOREIGN KEY ("reverses_entry_id") REFERENCES "journal_entry"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journal_line" ADD CONSTRAINT "journal_line_entry_id_fkey" FOREIGN KEY ("entry_id") REFERENCES "journal_entry"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journal_line" ADD CONSTRAINT "journal_line_account_id_currency_fkey" FOREIGN KEY ("account_id", "currency") REFERENCES "ledger_account"("id", "currency") ON DELETE RESTRICT ON UPDATE CASCADE;


-- ─── Invariants Prisma cannot express ───────────────────────────────────────
-- The ledger is the system of record for money, so its rules hold in the
-- database whatever code writes to it; domain/ledger.ts checks the same rules
-- first only to give callers precise messages.

ALTER TABLE "ledger_account"
  ADD CONSTRAINT "ledger_account_currency_iso" CHECK ("currency" ~ '^[A-Z]{3}$'),
  ADD CONSTRAINT "ledger_account_code_not_blank" CHECK (length(btrim("code")) > 0),
  -- The database itself refuses an overdraft, whatever the posting path.
  ADD CONSTRAINT "ledger_account_balance_not_negative" CHECK (NOT "must_not_go_negative" OR "balance" >= 0);

ALTER TABLE "journal_entry"
  ADD CONSTRAINT "journal_entry_idempotency_key_not_blank" CHECK (length(btrim("idempotency_key")) > 0),
  ADD CONSTRAINT "journal_entry_not_self_reversal" CHECK ("reverses_entry_id" <> "id");

ALTER TABLE "journal_line"
  ADD CONSTRAINT "journal_line_amount_positive" CHECK ("amount" > 0),
  ADD CONSTRAINT "journal_line_line_no_positive" CHECK ("line_no" >= 1);

-- Posted entries are immutable: corrections are reversing entries.
CREATE TRIGGER journal_entry_append_only
  BEFORE UPDATE OR DELETE ON "journal_entry"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER journal_entry_no_truncate
  BEFORE TRUNCATE ON "journal_entry"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER journal_line_append_only
  BEFORE UPDATE OR DELETE ON "journal_line"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER journal_line_no_truncate
  BEFORE TRUNCATE ON "journal_line"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- Accounts are never removed: their history is the ledger.
CREATE TRIGGER ledger_account_never_deleted
  BEFORE DELETE ON "ledger_account"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER ledger_account_no_truncate
  BEFORE TRUNCATE ON "ledger_account"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- An account's definition is fixed once created (only its name may be
-- corrected), and its balance must equal the sum of its lines, so only
-- post_journal_entry() may change it. The function marks its own updates with
-- a transaction-local setting; this guards against mistakes, not malice.
CREATE FUNCTION ledger_account_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    RAISE EXCEPTION 'ledger account % must be created with balance 0, not %: balances come only from posted lines', NEW.code, NEW.balance
      USING ERRCODE = 'check_violation';
  END IF;
  RAISE EXCEPTION 'ledger account % (%) cannot be redefined and its balance changes only through post_journal_entry()', OLD.code, OLD.id
    USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER ledger_account_opens_at_zero
  BEFORE INSERT ON "ledger_account"
  FOR EACH ROW WHEN (NEW."balance" <> 0)
  EXECUTE FUNCTION ledger_account_refuse_change();

-- The WHEN clause is evaluated without entering PL/pgSQL, so the hot path (a
-- posting's balance update) pays next to nothing for this guard.
CREATE TRIGGER ledger_account_definition_fixed
  BEFORE UPDATE ON "ledger_account"
  FOR EACH ROW WHEN (
    (OLD."id", OLD."account_set_id", OLD."code", OLD."type", OLD."normal_balance", OLD."currency",
     OLD."must_not_go_negative", OLD."created_at")
      IS DISTINCT FROM
    (NEW."id", NEW."account_set_id", NEW."code", NEW."type", NEW."normal_balance", NEW."currency",
     NEW."must_not_go_negative", NEW."created_at")
    OR (OLD."balance" IS DISTINCT FROM NEW."balance"
        AND current_setting('godown.ledger_posting', true) IS DISTINCT FROM 'on'))
  EXECUTE FUNCTION ledger_account_refuse_change();

-- Normal-balance arithmetic (mirrors signedMovement in domain/ledger.ts): a
-- line on the account's normal side increases its balance, on the other side
-- decreases it.
CREATE FUNCTION ledger_signed_amount(normal_balance "LedgerSide", side "LedgerSide", amount NUMERIC)
RETURNS NUMERIC LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN side = normal_balance THEN amount ELSE -amount END
$$;

-- Why an entry is not a valid double entry, or NULL when it is: at least two
-- lines, and debits equal credits in each currency. PL/pgSQL rather than SQL
-- so that its plan is cached: it runs for every posting.
CREATE FUNCTION journal_entry_imbalance(p_entry_id UUID) RETURNS TEXT LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT CASE
      WHEN coalesce(sum(line_count), 0) < 2
        THEN format('has %s line(s); a journal entry needs at least 2', coalesce(sum(line_count), 0))
      ELSE string_agg(format('%s debits %s <> credits %s', currency, debits, credits), '; ')
             FILTER (WHERE debits <> credits)
    END
    FROM (
      SELECT currency,
             count(*) AS line_count,
             coalesce(sum(amount) FILTER (WHERE side = 'DEBIT'), 0) AS debits,
             coalesce(sum(amount) FILTER (WHERE side = 'CREDIT'), 0) AS credits
        FROM journal_line
       WHERE entry_id = p_entry_id
       GROUP BY currency
    ) AS per_currency);
END;
$$;

-- Checked at commit on each new entry, when all its lines exist: refuses an
-- entry posted without (enough) lines.
CREATE FUNCTION journal_entry_must_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_imbalance TEXT := journal_entry_imbalance(NEW.id);
BEGIN
  IF v_imbalance IS NOT NULL THEN
    RAISE EXCEPTION 'journal entry % is not a balanced double entry: %', NEW.id, v_imbalance
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER journal_entry_balanced
  AFTER INSERT ON "journal_entry"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION journal_entry_must_balance();

-- Checked after each statement that inserts lines, once per entry it
-- touches: lines must leave their entry balanced, also lines added to an
-- entry posted earlier. So an entry's lines are inserted in one statement,
-- as post_journal_entry() does; no half-posted entry is ever visible.
CREATE FUNCTION journal_line_entries_must_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_entry_id UUID;
  v_imbalance TEXT;
BEGIN
  FOR v_entry_id IN SELECT DISTINCT entry_id FROM inserted_line LOOP
    v_imbalance := journal_entry_imbalance(v_entry_id);
    IF v_imbalance IS NOT NULL THEN
      RAISE EXCEPTION 'journal entry % is not a balanced double entry: %', v_entry_id, v_imbalance
        USING ERRCODE = 'check_violation';
    END IF;
  END LOOP;
  RETURN NULL;
END;
$$;

CREATE TRIGGER journal_line_entries_balanced
  AFTER INSERT ON "journal_line"
  REFERENCING NEW TABLE AS inserted_line
  FOR EACH STATEMENT EXECUTE FUNCTION journal_line_entries_must_balance();

-- A proposal's lines as rows; line_no is the 1-based position in the array.
-- A single SELECT, so the planner inlines it into the queries that use it.
CREATE FUNCTION ledger_proposal_lines(proposal JSONB)
RETURNS TABLE (line_no INTEGER, account_id UUID, side "LedgerSide", amount NUMERIC, currency TEXT)
LANGUAGE sql IMMUTABLE AS $$
  SELECT position::INTEGER,
         (line->>'account_id')::UUID,
         (line->>'side')::"LedgerSide",
         (line->>'amount')::NUMERIC,
         line->>'currency'
    FROM jsonb_array_elements(proposal->'lines') WITH ORDINALITY AS element(line, position)
$$;

-- An entry as JSON, amounts and sequence numbers as strings so that no
-- reader ever sees them as floating-point numbers.
CREATE FUNCTION journal_entry_json(p_entry_id UUID) RETURNS JSONB LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', e.id,
    'idempotency_key', e.idempotency_key,
    'content_hash', e.content_hash,
    'description', e.description,
    'effective_date', e.effective_date::TEXT,
    'recorded_at', to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'reverses_entry_id', e.reverses_entry_id,
    'account_set_id', e.account_set_id,
    'metadata', e.metadata,
    'seq', e.seq::TEXT,
    'lines', (SELECT jsonb_agg(jsonb_build_object(
                       'line_no', l.line_no, 'account_id', l.account_id, 'side', l.side,
                       'amount', l.amount::TEXT, 'currency', l.currency) ORDER BY l.line_no)
                FROM journal_line l WHERE l.entry_id = e.id))
  FROM journal_entry e
  WHERE e.id = p_entry_id
$$;

-- What an earlier entry says about a proposal that was not posted: the same
-- key with the same content ('replayed', with that entry), the same key with
-- other content ('key_reused'), or an earlier reversal of the same entry
-- ('already_reversed'); NULL when there is none. VOLATILE (the default) so
-- that it sees entries committed while the caller waited.
CREATE FUNCTION journal_entry_earlier(proposal JSONB) RETURNS JSONB LANGUAGE plpgsql AS $$
DECLARE
  v_existing journal_entry;
BEGIN
  SELECT * INTO v_existing FROM journal_entry WHERE idempotency_key = proposal->>'idempotency_key';
  IF FOUND AND v_existing.content_hash = proposal->>'content_hash' THEN
    RETURN jsonb_build_object('status', 'replayed', 'entry', journal_entry_json(v_existing.id));
  ELSIF FOUND THEN
    RETURN jsonb_build_object('status', 'key_reused', 'entry_id', v_existing.id,
                              'effective_date', v_existing.effective_date::TEXT,
                              'description', v_existing.description);
  END IF;
  SELECT * INTO v_existing FROM journal_entry WHERE reverses_entry_id = (proposal->>'reverses_entry_id')::UUID;
  IF FOUND THEN
    RETURN jsonb_build_object('status', 'already_reversed', 'reversed_by_entry_id', v_existing.id);
  END IF;
  RETURN NULL;
END;
$$;

-- Posts one journal entry in one round trip. Answers {status, ...}:
--   'posted' with entry_id, recorded_at and seq (the caller has the rest);
--   'replayed', 'key_reused', 'already_reversed' (see journal_entry_earlier);
--   'unknown_account', 'currency_mismatch', 'account_would_go_negative' with
--   the first offending line's account and figures.
-- A refusal writes nothing, so a caller's open transaction survives it. The
-- proposal has been validated by domain/ledger.ts; the constraints and
-- triggers above hold regardless of what it contains.
--
-- proposal: {idempotency_key, content_hash, description, effective_date,
--            account_set_id, metadata, reverses_entry_id,
--            lines: [{account_id, side, amount, currency}]}
--
-- Hot path: three statements (lock, check, write). The idempotency key is
-- looked up only when the write did not happen: the insert's ON CONFLICT
-- both detects a replay and waits out a concurrent post of the same key.
CREATE FUNCTION post_journal_entry(proposal JSONB) RETURNS JSONB LANGUAGE plpgsql AS $$
DECLARE
  v_accounts ledger_account[];
  v_account_ids UUID[];
  v_problem JSONB;
  v_posted JSONB;
BEGIN
  -- Lock the accounts first and in id order, so that postings over shared
  -- accounts queue rather than deadlock, and the check below reads balances
  -- nobody else can change. The aggregate consumes every row, so every
  -- account is locked. NO KEY UPDATE because only the balance changes: it
  -- does not block other postings' foreign-key checks on these accounts.
  SELECT array_agg(account), array_agg(account.id)
    INTO v_accounts, v_account_ids
    FROM (SELECT *
            FROM ledger_account
           WHERE id = ANY (ARRAY(SELECT account_id FROM ledger_proposal_lines(proposal)))
           ORDER BY id
             FOR NO KEY UPDATE) AS account;

  -- The first line whose account is unknown, in another currency, or would
  -- be overdrawn. The CHECK on ledger_account refuses an overdraft anyway;
  -- checking first reports the figures and leaves the transaction usable.
  -- Reads the locked rows from v_accounts, not the table.
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
            LEFT JOIN unnest(v_accounts) AS account ON account.id = line.account_id
           GROUP BY line.account_id, account.id, account.code, account.currency,
                    account.must_not_go_negative, account.balance) AS per_account
   WHERE unknown OR line_currency IS NOT NULL OR (must_not_go_negative AND balance_after < 0)
   ORDER BY line_no
   LIMIT 1;

  IF v_problem IS NULL THEN
    PERFORM set_config('godown.ledger_posting', 'on', true);
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
      -- The sign rule of ledger_signed_amount, applied once per account.
      UPDATE ledger_account AS account
         SET balance = account.balance + movement.debits_minus_credits
                       * CASE account.normal_balance WHEN 'DEBIT' THEN 1 ELSE -1 END
        FROM (SELECT line.account_id,
                     sum(CASE line.side WHEN 'DEBIT' THEN line.amount ELSE -line.amount END) AS debits_minus_credits
                FROM ledger_proposal_lines(proposal) AS line
               GROUP BY line.account_id) AS movement
       WHERE account.id = ANY (v_account_ids)  -- an index scan, however many accounts the ledger holds
         AND account.id = movement.account_id
         AND EXISTS (SELECT 1 FROM entry))
    SELECT jsonb_build_object(
             'status', 'posted',
             'entry_id', entry.id,
             'recorded_at', to_char(entry.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
             'seq', entry.seq::TEXT)
      INTO v_posted
      FROM entry;
    PERFORM set_config('godown.ledger_posting', 'off', true);
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
