-- Batched posting (issue #6): several journal entries in one statement, so
-- that concurrent postings share one round trip, one top-level statement and
-- one commit (WAL flush) instead of paying for each. prisma/ledger/store.ts
-- coalesces concurrent autocommit postEntry() calls into one call of this
-- function; a posting inside a caller's transaction still calls
-- post_journal_entry() alone.
--
-- proposals: a JSON array of post_journal_entry() proposals.
-- Answers a JSON array with, at each position, exactly what
-- post_journal_entry() answers for that proposal posted alone after the ones
-- before it: 'posted', 'replayed' (also for a key posted earlier in the same
-- batch), 'key_reused', 'already_reversed', or an account refusal. A refusal
-- writes nothing and does not affect the others. An exception (e.g. a
-- deadlock, or the deferred balanced-entry check at commit) undoes the whole
-- batch; the caller then posts each proposal on its own.
--
-- Each proposal goes through post_journal_entry() itself, so the rules and
-- checks are the ones of 20261123001000_ledger_posting_speed, not a copy.
-- First, though, every account the batch names is locked in id order: each
-- entry's own lock statement then finds its rows already held, so concurrent
-- batches (and single postings, which lock in id order too) queue rather than
-- deadlock, however the batch's entries interleave their accounts.
CREATE FUNCTION post_journal_entries(proposals JSONB) RETURNS JSONB
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_proposal JSONB;
  v_outcomes JSONB[] := '{}';
BEGIN
  IF jsonb_typeof(proposals) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'post_journal_entries() takes a JSON array of proposals; got %', jsonb_typeof(proposals)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- Unknown ids lock nothing; post_journal_entry() refuses their entries.
  PERFORM 1
     FROM ledger_account
    WHERE id = ANY (ARRAY(SELECT (line->>'account_id')::UUID
                            FROM jsonb_array_elements(proposals) AS proposal,
                                 jsonb_array_elements(proposal->'lines') AS line))
    ORDER BY id
      FOR NO KEY UPDATE;

  FOR v_proposal IN SELECT element FROM jsonb_array_elements(proposals) WITH ORDINALITY AS e(element, position) ORDER BY position LOOP
    v_outcomes := array_append(v_outcomes, post_journal_entry(v_proposal));
  END LOOP;
  RETURN to_jsonb(v_outcomes);
END;
$$;
