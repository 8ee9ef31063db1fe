/**
 * Settlement ledger store: posts journal entries and reads balances and
 * statements. A posting is one call of post_journal_entry() (see the
 * 20261123000200_ledger migration), i.e. one database round trip that locks,
 * checks, writes the entry and its lines and updates balances. Postings made
 * on the root client (autocommit) while others are under way share one
 * post_journal_entries() call and one commit (see PostingBatcher and the
 * 20261123001200_ledger_batched_posting migration); each still gets its own
 * outcome, exactly as if posted alone.
 *
 * Amounts cross the boundary as decimal strings (NUMERIC::text → D), never as
 * JavaScript numbers.
 */
import { createHash } from 'node:crypto';
import { Prisma, type Db, type PrismaClient } from '../client';
import { D, Money, currencyScale } from '../../domain/money';
import { BusinessRuleError, ConflictError, InvariantViolation, NotFoundError, ValidationError } from '../../domain/errors';
import {
  LEDGER_ACCOUNT_TYPES,
  LEDGER_SIDES,
  canonicalEntryContent,
  requireIsoDate,
  requireUuid,
  reversalProposal,
  runningBalances,
  validateEntryProposal,
  type EntryProposal,
  type JsonObject,
  type JsonValue,
  type LedgerAccountType,
  type LedgerSide,
  type ProposedLine,
  type ReversalRequest,
} from '../../domain/ledger';

export const ACCOUNTS_PER_SET_MAX = 50;
export const BALANCE_ACCOUNTS_MAX = 1000;
/** Lines in one page of a statement: the most a caller may ask for, and what the store returns when asked for no size. */
export const STATEMENT_LINES_MAX = 1_000;
/** Days in the period of a whole-period statement (CSV, PDF): a year, leap day included. */
export const STATEMENT_PERIOD_DAYS_MAX = 366;
/** Lines, over all accounts, of a whole-period statement: beyond it, ask for shorter periods or page through the JSON. */
export const STATEMENT_PERIOD_LINES_MAX = 10_000;

// ─── Types ───────────────────────────────────────────────────────────────────

export interface PostEntryInput {
  idempotencyKey: string;
  description: string;
  /** 'YYYY-MM-DD' */
  effectiveDate: string;
  accountSetId?: string;
  metadata?: JsonObject;
  lines: ProposedLine[];
}

export interface PostedLine {
  lineNo: number;
  accountId: string;
  side: LedgerSide;
  amount: Money;
}

export interface JournalEntryRecord {
  id: string;
  idempotencyKey: string;
  contentHash: string;
  description: string;
  effectiveDate: string;
  recordedAt: Date;
  reversesEntryId: string | null;
  accountSetId: string | null;
  metadata: JsonValue | null;
  /** Order of recording across the ledger. */
  seq: bigint;
  lines: PostedLine[];
}

export interface PostedEntry extends JournalEntryRecord {
  /** True when the key had been posted before with the same content and nothing new was posted. */
  replayed: boolean;
}

export interface ReverseEntryInput extends ReversalRequest {
  entryId: string;
}

export interface AccountDefinition {
  code: string;
  name: string;
  type: LedgerAccountType;
  normalBalance: LedgerSide;
  mustNotGoNegative?: boolean;
}

export interface CreateAccountSetInput {
  accountSetId: string;
  currency: string;
  accounts: AccountDefinition[];
}

export interface LedgerAccountRecord {
  id: string;
  accountSetId: string;
  code: string;
  name: string;
  type: LedgerAccountType;
  normalBalance: LedgerSide;
  currency: string;
  mustNotGoNegative: boolean;
}

export type BalancesQuery = ({ accountIds: string[] } | { accountSetId: string }) & {
  /** 'YYYY-MM-DD': the balance from lines effective on or before it; without it the maintained balance. */
  asOf?: string;
};

export interface AccountBalance {
  accountId: string;
  accountSetId: string;
  code: string;
  name: string;
  /** The side the balance is counted on: Σ DEBIT-normal balances = Σ CREDIT-normal balances over a balanced set. */
  normalBalance: LedgerSide;
  /** In normal-balance terms. */
  balance: Money;
}

export interface StatementQuery {
  accountSetId: string;
  /** First effective date shown, 'YYYY-MM-DD'. */
  from: string;
  /** Last effective date shown (inclusive), 'YYYY-MM-DD'. */
  to: string;
  /** Continue after this line (the previous page's `next`); absent: from the start of the period. */
  after?: StatementPosition;
  /** Lines in this page, 1..STATEMENT_LINES_MAX; default STATEMENT_LINES_MAX. */
  limit?: number;
}

/** A line's place in ledger order: effective date, then recording order (entry seq), then line number. */
export interface StatementPosition {
  effectiveDate: string;
  /** journal_entry.seq as a decimal string (a bigint). */
  entrySeq: string;
  lineNo: number;
}

export interface StatementLine {
  entryId: string;
  effectiveDate: string;
  recordedAt: Date;
  description: string;
  reversesEntryId: string | null;
  lineNo: number;
  side: LedgerSide;
  /** The line's amount on the side it is on; the other is null. */
  debit: Money | null;
  credit: Money | null;
  runningBalance: Money;
}

export interface AccountStatement {
  accountId: string;
  code: string;
  name: string;
  normalBalance: LedgerSide;
  currency: string;
  /** Balance before this page's first line: from every line effective before `from`, and the period's lines of earlier pages. */
  openingBalance: Money;
  lines: StatementLine[];
  /** openingBalance moved by every line of this page (the period's closing balance on the last page). */
  closingBalance: Money;
}

export interface Statement {
  accountSetId: string;
  from: string;
  to: string;
  accounts: AccountStatement[];
  /** Where the next page starts; null on the period's last page. */
  next: StatementPosition | null;
}

// ─── Posting ─────────────────────────────────────────────────────────────────

/**
 * Posts a balanced journal entry, or returns the entry already posted under
 * the same key with the same content (`replayed: true`). Refuses a key reused
 * for different content (ConflictError) and a posting that would take an
 * account that must not go negative below zero (BusinessRuleError
 * 'account_would_go_negative'); a refusal writes nothing.
 */
export async function postEntry(db: Db, input: PostEntryInput): Promise<PostedEntry> {
  return submitProposal(db, validatedProposal(input));
}

function validatedProposal(input: PostEntryInput): EntryProposal {
  const proposal: EntryProposal = { ...input, accountSetId: input.accountSetId ?? null, reversesEntryId: null };
  validateEntryProposal(proposal);
  return proposal;
}

/**
 * The validated argument of post_journal_entry() for a new entry, for callers
 * that post many entries in one statement (e.g. batched accrual); postEntry
 * sends exactly this.
 */
export function postingPayloadOf(input: PostEntryInput): PostingPayload {
  return postingPayload(validatedProposal(input));
}

/**
 * Posts the mirror of entry `entryId` (same accounts and amounts, sides
 * swapped), linked to it. An entry is reversed at most once: a second reversal
 * under another key is refused with 'entry_already_reversed'.
 */
export async function reverseEntry(db: Db, input: ReverseEntryInput): Promise<PostedEntry> {
  requireUuid(input.entryId, 'entryId');
  const original = await findEntry(db, input.entryId);
  if (!original) throw new NotFoundError('journal entry', input.entryId);
  const proposal = reversalProposal(original, input);
  validateEntryProposal(proposal);
  return submitProposal(db, proposal);
}

export async function findEntry(db: Db, entryId: string): Promise<JournalEntryRecord | null> {
  requireUuid(entryId, 'entryId');
  const rows = await db.$queryRaw<{ entry: string | null }[]>(
    Prisma.sql`SELECT journal_entry_json(${entryId}::uuid)::text AS entry`,
  );
  const entry = rows[0]?.entry;
  return entry ? entryFromRow(JSON.parse(entry) as EntryRow) : null;
}

export interface PostingPayload {
  idempotency_key: string;
  content_hash: string;
  description: string;
  effective_date: string;
  account_set_id: string | null;
  metadata: unknown;
  reverses_entry_id: string | null;
  lines: { account_id: string; side: string; amount: string; currency: string }[];
}

function postingPayload(proposal: EntryProposal): PostingPayload {
  return {
    idempotency_key: proposal.idempotencyKey,
    content_hash: createHash('sha256').update(canonicalEntryContent(proposal)).digest('hex'),
    description: proposal.description,
    effective_date: proposal.effectiveDate,
    account_set_id: proposal.accountSetId ?? null,
    metadata: proposal.metadata ?? null,
    reverses_entry_id: proposal.reversesEntryId ?? null,
    lines: proposal.lines.map((line) => ({
      account_id: line.accountId,
      side: line.side,
      amount: line.amount.toFixedString(),
      currency: line.amount.currency,
    })),
  };
}

async function submitProposal(db: Db, proposal: EntryProposal): Promise<PostedEntry> {
  const payload = postingPayload(proposal);
  // Outside a transaction a posting commits on its own, so it may share its
  // statement and commit with concurrent ones; inside one it must run on the
  // caller's connection, now.
  const outcome = isRootClient(db) ? await batcherOf(db).post(payload) : await postOne(db, payload);
  return postedEntryFrom(outcome, proposal, payload.content_hash);
}

async function postOne(db: Db, payload: PostingPayload): Promise<PostingOutcome> {
  const rows = await db.$queryRaw<{ outcome: string }[]>(
    Prisma.sql`SELECT post_journal_entry(${JSON.stringify(payload)}::jsonb)::text AS outcome`,
  );
  return JSON.parse(rows[0].outcome) as PostingOutcome;
}

/** A transaction client lacks $disconnect (Prisma's ITXClientDenyList); the root client has it. */
function isRootClient(db: Db): db is PrismaClient {
  return '$disconnect' in db;
}

// ─── Batched posting ─────────────────────────────────────────────────────────

/** Enough to keep two server cores busy (bench/README.md, "Ledger postings"). */
export const POSTING_BATCHES_IN_FLIGHT_DEFAULT = 2;
export const POSTING_BATCH_SIZE_DEFAULT = 64;
export const POSTING_BATCHES_IN_FLIGHT_MAX = 64;
export const POSTING_BATCH_SIZE_MAX = 1000;

export interface PostingBatchOptions {
  /** Statements posting for this client at once (each holds a pooled connection). */
  batchesInFlightMax: number;
  /** Proposals per post_journal_entries() call. */
  batchSizeMax: number;
}

export interface PostingBatchStatistics {
  /** post_journal_entry() / post_journal_entries() statements sent, fallbacks excluded. */
  statements: number;
  /** Postings those statements carried. */
  postings: number;
  /** Batches that failed as a whole and were posted one by one instead. */
  batchesRetriedAlone: number;
  /** statements sent, by batch size. */
  statementsByBatchSize: Record<number, number>;
}

interface QueuedPosting {
  payload: PostingPayload;
  resolve: (outcome: PostingOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for autocommit postings ("smart batching", no timers): up to
 * batchesInFlightMax statements post at once; a posting that arrives while all
 * are busy waits, and whenever one finishes, what waits goes out, spread over
 * the free slots (at most batchSizeMax per statement). Under light load a
 * posting goes out alone (at the end of the event loop's current turn); under
 * load, postings share a round trip and a commit.
 * Each caller gets its own outcome, exactly as if it had posted alone.
 */
class PostingBatcher {
  private readonly queue: QueuedPosting[] = [];
  private inFlight = 0;
  private drainScheduled = false;
  readonly statistics: PostingBatchStatistics = { statements: 0, postings: 0, batchesRetriedAlone: 0, statementsByBatchSize: {} };

  constructor(
    private readonly prisma: PrismaClient,
    public options: PostingBatchOptions,
  ) {}

  post(payload: PostingPayload): Promise<PostingOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ payload, resolve, reject });
      this.scheduleDrain();
    });
  }

  /**
   * Sends at the end of this turn of the event loop rather than at once, so
   * that postings made in the same turn (e.g. the callers a finished batch
   * just released, posting again) leave together.
   */
  private scheduleDrain(): void {
    if (this.drainScheduled || this.inFlight >= this.options.batchesInFlightMax) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.options.batchesInFlightMax && this.queue.length > 0) {
      // Spread what waits evenly over the free slots: batches as large as
      // possible while every slot the limit allows is used.
      const freeSlots = this.options.batchesInFlightMax - this.inFlight;
      const batch = this.queue.splice(0, Math.min(Math.ceil(this.queue.length / freeSlots), this.options.batchSizeMax));
      this.inFlight += 1;
      void this.send(batch)
        // send() settles every posting itself unless the database answers out of contract.
        .catch((error: unknown) => batch.forEach((queued) => queued.reject(error)))
        .finally(() => {
          this.inFlight -= 1;
          if (this.queue.length > 0) this.scheduleDrain();
        });
    }
  }

  private async send(batch: QueuedPosting[]): Promise<void> {
    this.statistics.statements += 1;
    this.statistics.postings += batch.length;
    this.statistics.statementsByBatchSize[batch.length] = (this.statistics.statementsByBatchSize[batch.length] ?? 0) + 1;
    if (batch.length === 1) {
      await postOne(this.prisma, batch[0].payload).then(batch[0].resolve, batch[0].reject);
      return;
    }
    const payloads = batch.map((queued) => queued.payload);
    let rows: { outcomes: string }[];
    try {
      rows = await this.prisma.$queryRaw<{ outcomes: string }[]>(
        Prisma.sql`SELECT post_journal_entries(${JSON.stringify(payloads)}::jsonb)::text AS outcomes`,
      );
    } catch {
      // The statement failed (a deadlock, an error raised by one proposal, the
      // balanced-entry check at commit…), so, in autocommit, nothing of the
      // batch was committed. Post each proposal alone, in order, so that each
      // caller gets its own outcome or error, as without batching. (Were the
      // connection lost after the commit, the key makes a posting alone
      // answer 'replayed' rather than post twice.)
      this.statistics.batchesRetriedAlone += 1;
      for (const queued of batch) await postOne(this.prisma, queued.payload).then(queued.resolve, queued.reject);
      return;
    }
    const outcomes = JSON.parse(rows[0].outcomes) as PostingOutcome[];
    if (!Array.isArray(outcomes) || outcomes.length !== batch.length) {
      throw new InvariantViolation(`post_journal_entries() answers one outcome per proposal (${batch.length}); got ${rows[0].outcomes}`);
    }
    batch.forEach((queued, index) => queued.resolve(outcomes[index]));
  }
}

const batchers = new WeakMap<PrismaClient, PostingBatcher>();

function batcherOf(prisma: PrismaClient): PostingBatcher {
  let batcher = batchers.get(prisma);
  if (!batcher) {
    batcher = new PostingBatcher(prisma, { batchesInFlightMax: POSTING_BATCHES_IN_FLIGHT_DEFAULT, batchSizeMax: POSTING_BATCH_SIZE_DEFAULT });
    batchers.set(prisma, batcher);
  }
  return batcher;
}

/** Sets how this client batches autocommit postings (takes effect for the next batch). */
export function configurePostingBatches(prisma: PrismaClient, options: PostingBatchOptions): void {
  if (!Number.isInteger(options.batchesInFlightMax) || options.batchesInFlightMax < 1 || options.batchesInFlightMax > POSTING_BATCHES_IN_FLIGHT_MAX) {
    throw new ValidationError('batchesInFlightMax', `must be an integer from 1 to ${POSTING_BATCHES_IN_FLIGHT_MAX}; got ${options.batchesInFlightMax}`);
  }
  if (!Number.isInteger(options.batchSizeMax) || options.batchSizeMax < 1 || options.batchSizeMax > POSTING_BATCH_SIZE_MAX) {
    throw new ValidationError('batchSizeMax', `must be an integer from 1 to ${POSTING_BATCH_SIZE_MAX}; got ${options.batchSizeMax}`);
  }
  batcherOf(prisma).options = { ...options };
}

/** What this client's posting batcher has sent so far (a copy). */
export function postingBatchStatistics(prisma: PrismaClient): PostingBatchStatistics {
  const { statistics } = batcherOf(prisma);
  return { ...statistics, statementsByBatchSize: { ...statistics.statementsByBatchSize } };
}

interface EntryRow {
  id: string;
  idempotency_key: string;
  content_hash: string;
  description: string;
  effective_date: string;
  recorded_at: string;
  reverses_entry_id: string | null;
  account_set_id: string | null;
  metadata: JsonValue | null;
  seq: string;
  lines: { line_no: number; account_id: string; side: LedgerSide; amount: string; currency: string }[];
}

/** What post_journal_entry() answers: the entry, or why it was not posted. */
type PostingOutcome =
  | { status: 'posted'; entry_id: string; recorded_at: string; seq: string }
  | { status: 'replayed'; entry: EntryRow }
  | { status: 'key_reused'; entry_id: string; effective_date: string; description: string }
  | { status: 'already_reversed'; reversed_by_entry_id: string }
  | AccountRefusal;

/** The first line whose account is unknown (account fields null), in another currency, or would be overdrawn. */
interface AccountRefusal {
  status: 'unknown_account' | 'currency_mismatch' | 'account_would_go_negative';
  line_no: number;
  account_id: string;
  code: string | null;
  account_currency: string | null;
  line_currency: string | null;
  balance: string | null;
  balance_after: string | null;
}

function postedEntryFrom(outcome: PostingOutcome, proposal: EntryProposal, contentHash: string): PostedEntry {
  switch (outcome.status) {
    case 'posted':
      return { ...entryFromProposal(proposal, outcome, contentHash), replayed: false };
    case 'replayed':
      return { ...entryFromRow(outcome.entry), replayed: true };
    case 'key_reused':
      throw new ConflictError(
        `idempotency key "${proposal.idempotencyKey}" was already used for entry ${outcome.entry_id} ` +
          `("${outcome.description}", effective ${outcome.effective_date}) with different content; ` +
          'a different entry needs a new key',
      );
    case 'already_reversed':
      throw new BusinessRuleError(
        'entry_already_reversed',
        `entry ${proposal.reversesEntryId} was already reversed by entry ${outcome.reversed_by_entry_id}; an entry is reversed at most once`,
      );
    case 'unknown_account':
      throw new NotFoundError('ledger account', outcome.account_id);
    case 'currency_mismatch':
      throw new ValidationError(
        `lines[${outcome.line_no - 1}].amount`,
        `is in ${outcome.line_currency} but ledger account ${outcome.code} (${outcome.account_id}) is in ${outcome.account_currency}`,
      );
    case 'account_would_go_negative':
      throw overdraftError(outcome);
    default:
      throw new InvariantViolation(`post_journal_entry() answers a known status; got ${JSON.stringify(outcome)}`);
  }
}

function overdraftError(refusal: AccountRefusal): BusinessRuleError {
  const currency = refusal.account_currency ?? '';
  const balance = moneyAtScale(refusal.balance ?? '', currency);
  const balanceAfter = moneyAtScale(refusal.balance_after ?? '', currency);
  return new BusinessRuleError(
    'account_would_go_negative',
    `ledger account ${refusal.code} (${refusal.account_id}) must not go negative: balance ${balance.format()}, ` +
      `posting would take it to ${balanceAfter.format()}`,
  );
}

/** A NUMERIC(38, 18) text from the database as Money, trailing zeros beyond the currency scale dropped. */
function moneyAtScale(numericText: string, currency: string): Money {
  const amount = new D(numericText);
  // Amounts are posted at currency scale, so anything finer is corruption, never something to round away.
  if (amount.decimalPlaces() > currencyScale(currency)) {
    throw new InvariantViolation(`a ledger amount is at ${currency} scale; got ${numericText}`);
  }
  return Money.of(amount, currency);
}

/** The entry just posted: what was proposed plus what the database assigned (saves reading it back). */
function entryFromProposal(
  proposal: EntryProposal,
  assigned: { entry_id: string; recorded_at: string; seq: string },
  contentHash: string,
): JournalEntryRecord {
  return {
    id: assigned.entry_id,
    idempotencyKey: proposal.idempotencyKey,
    contentHash,
    description: proposal.description,
    effectiveDate: proposal.effectiveDate,
    recordedAt: new Date(assigned.recorded_at),
    reversesEntryId: proposal.reversesEntryId?.toLowerCase() ?? null,
    accountSetId: proposal.accountSetId?.toLowerCase() ?? null,
    metadata: proposal.metadata ?? null,
    seq: BigInt(assigned.seq),
    lines: proposal.lines.map((line, index) => ({
      lineNo: index + 1,
      accountId: line.accountId.toLowerCase(),
      side: line.side,
      amount: line.amount,
    })),
  };
}

function entryFromRow(row: EntryRow): JournalEntryRecord {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    contentHash: row.content_hash,
    description: row.description,
    effectiveDate: row.effective_date,
    recordedAt: new Date(row.recorded_at),
    reversesEntryId: row.reverses_entry_id,
    accountSetId: row.account_set_id,
    metadata: row.metadata,
    seq: BigInt(row.seq),
    lines: row.lines.map((line) => ({
      lineNo: line.line_no,
      accountId: line.account_id,
      side: line.side,
      amount: moneyAtScale(line.amount, line.currency.trim()),
    })),
  };
}

// ─── Accounts ────────────────────────────────────────────────────────────────

/**
 * Creates the accounts of a set (e.g. one credit line's), all in `currency`.
 * Idempotent: accounts that already exist with the same definition are
 * returned as they are; one that exists with a different definition is a
 * ConflictError.
 */
export async function createAccountSet(db: Db, input: CreateAccountSetInput): Promise<LedgerAccountRecord[]> {
  validateAccountSet(input);
  const definitions = JSON.stringify(
    input.accounts.map((account) => ({
      code: account.code,
      name: account.name,
      type: account.type,
      normal_balance: account.normalBalance,
      must_not_go_negative: account.mustNotGoNegative ?? false,
    })),
  );
  await db.$executeRaw(Prisma.sql`
    INSERT INTO ledger_account (id, account_set_id, code, name, type, normal_balance, currency, must_not_go_negative)
    SELECT gen_random_uuid(), ${input.accountSetId}::uuid, d.code, d.name, d.type, d.normal_balance, ${input.currency}, d.must_not_go_negative
      FROM jsonb_to_recordset(${definitions}::jsonb)
           AS d(code TEXT, name TEXT, type "LedgerAccountType", normal_balance "LedgerSide", must_not_go_negative BOOLEAN)
    ON CONFLICT (account_set_id, code) DO NOTHING`);
  // A separate statement, so that accounts a concurrent call inserted while ours waited are visible.
  const stored = await accountsOfSet(db, input.accountSetId);
  return input.accounts.map((wanted) => sameDefinitionOrConflict(wanted, input, stored));
}

function validateAccountSet(input: CreateAccountSetInput): void {
  requireUuid(input.accountSetId, 'accountSetId');
  currencyScale(input.currency);
  if (!Array.isArray(input.accounts) || input.accounts.length === 0 || input.accounts.length > ACCOUNTS_PER_SET_MAX) {
    throw new ValidationError('accounts', `must list 1 to ${ACCOUNTS_PER_SET_MAX} accounts`);
  }
  const codes = new Set<string>();
  input.accounts.forEach((account, index) => {
    const field = `accounts[${index}]`;
    if (typeof account.code !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(account.code)) {
      throw new ValidationError(`${field}.code`, `must be upper-case letters, digits and _ such as "LOAN_PRINCIPAL"; got "${String(account.code)}"`);
    }
    if (codes.has(account.code)) throw new ValidationError(`${field}.code`, `"${account.code}" is listed twice`);
    codes.add(account.code);
    if (typeof account.name !== 'string' || account.name.trim().length === 0) {
      throw new ValidationError(`${field}.name`, 'must be a non-blank string');
    }
    if (!LEDGER_ACCOUNT_TYPES.includes(account.type)) {
      throw new ValidationError(`${field}.type`, `must be one of ${LEDGER_ACCOUNT_TYPES.join(', ')}`);
    }
    if (!LEDGER_SIDES.includes(account.normalBalance)) {
      throw new ValidationError(`${field}.normalBalance`, 'must be DEBIT or CREDIT');
    }
  });
}

function sameDefinitionOrConflict(
  wanted: AccountDefinition,
  input: CreateAccountSetInput,
  stored: Map<string, LedgerAccountRecord>,
): LedgerAccountRecord {
  const account = stored.get(wanted.code);
  if (!account) throw new InvariantViolation(`account ${wanted.code} of set ${input.accountSetId} exists after creation`);
  const expected = {
    name: wanted.name,
    type: wanted.type,
    normalBalance: wanted.normalBalance,
    currency: input.currency,
    mustNotGoNegative: wanted.mustNotGoNegative ?? false,
  };
  const actual = {
    name: account.name,
    type: account.type,
    normalBalance: account.normalBalance,
    currency: account.currency,
    mustNotGoNegative: account.mustNotGoNegative,
  };
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    throw new ConflictError(
      `account set ${input.accountSetId} already has ${wanted.code} defined as ${JSON.stringify(actual)}; ` +
        `requested ${JSON.stringify(expected)}`,
    );
  }
  return account;
}

interface AccountRow {
  id: string;
  account_set_id: string;
  code: string;
  name: string;
  type: LedgerAccountType;
  normal_balance: LedgerSide;
  currency: string;
  must_not_go_negative: boolean;
}

async function accountsOfSet(db: Db, accountSetId: string): Promise<Map<string, LedgerAccountRecord>> {
  const rows = await db.$queryRaw<AccountRow[]>(Prisma.sql`
    SELECT id::text, account_set_id::text, code, name, type::text, normal_balance::text, currency, must_not_go_negative
      FROM ledger_account WHERE account_set_id = ${accountSetId}::uuid`);
  return new Map(
    rows.map((row) => [
      row.code,
      {
        id: row.id,
        accountSetId: row.account_set_id,
        code: row.code,
        name: row.name,
        type: row.type,
        normalBalance: row.normal_balance,
        currency: row.currency,
        mustNotGoNegative: row.must_not_go_negative,
      },
    ]),
  );
}

// ─── Reading ─────────────────────────────────────────────────────────────────

/** Balances of the given accounts (or a whole set), ordered by set and code. */
export async function balances(db: Db, query: BalancesQuery): Promise<AccountBalance[]> {
  const accountFilter = balancesAccountFilter(query);
  const balanceExpression =
    query.asOf === undefined
      ? Prisma.sql`a.balance`
      : Prisma.sql`coalesce((
          SELECT sum(ledger_signed_amount(a.normal_balance, l.side, l.amount))
            FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
           WHERE l.account_id = a.id AND e.effective_date <= ${requireIsoDate(query.asOf, 'asOf')}::date), 0)`;
  const rows = await db.$queryRaw<{ id: string; account_set_id: string; code: string; name: string; normal_balance: LedgerSide; currency: string; balance: string }[]>(
    Prisma.sql`
      SELECT a.id::text, a.account_set_id::text, a.code, a.name, a.normal_balance::text AS normal_balance, a.currency, (${balanceExpression})::text AS balance
        FROM ledger_account a
       WHERE ${accountFilter}
       ORDER BY a.account_set_id, a.code`,
  );
  if ('accountIds' in query) requireAllFound(query.accountIds, rows);
  return rows.map((row) => ({
    accountId: row.id,
    accountSetId: row.account_set_id,
    code: row.code,
    name: row.name,
    normalBalance: row.normal_balance,
    balance: moneyAtScale(row.balance, row.currency),
  }));
}

function balancesAccountFilter(query: BalancesQuery): Prisma.Sql {
  if ('accountIds' in query) {
    if (!Array.isArray(query.accountIds) || query.accountIds.length > BALANCE_ACCOUNTS_MAX) {
      throw new ValidationError('accountIds', `must list at most ${BALANCE_ACCOUNTS_MAX} account ids`);
    }
    query.accountIds.forEach((id, index) => requireUuid(id, `accountIds[${index}]`));
    return Prisma.sql`a.id = ANY(${query.accountIds}::uuid[])`;
  }
  return Prisma.sql`a.account_set_id = ${requireUuid(query.accountSetId, 'accountSetId')}::uuid`;
}

function requireAllFound(accountIds: string[], rows: { id: string }[]): void {
  const found = new Set(rows.map((row) => row.id));
  const missing = accountIds.find((id) => !found.has(id.toLowerCase()));
  if (missing) throw new NotFoundError('ledger account', missing);
}

interface StatementAccountRow {
  id: string;
  code: string;
  name: string;
  normal_balance: LedgerSide;
  currency: string;
  opening: string;
}

interface StatementLineRow {
  account_id: string;
  entry_id: string;
  effective_date: string;
  recorded_at: string;
  description: string;
  reverses_entry_id: string | null;
  seq: string;
  line_no: number;
  side: LedgerSide;
  amount: string;
}

/**
 * One page of the statement of an account set for a period. Per account: the
 * opening balance (lines effective before `from`, and lines of the period
 * before the page), the page's lines in ledger order (effective date, then
 * recording order, then line number) with running balances, and the closing
 * balance. A page holds at most `limit` lines over all accounts; `next` says
 * where the following one starts. Read in one statement, so opening and
 * movements come from the same snapshot.
 */
export async function statement(db: Db, query: StatementQuery): Promise<Statement> {
  const { accountSetId, from, to, after } = validateStatementQuery(query);
  const limit = query.limit ?? STATEMENT_LINES_MAX;
  const rows = await db.$queryRaw<{ statement: string }[]>(statementSql(accountSetId, from, to, after ?? null, limit));
  const { accounts, lines } = JSON.parse(rows[0].statement) as { accounts: StatementAccountRow[] | null; lines: StatementLineRow[] | null };
  if (!accounts) throw new NotFoundError('ledger account set', accountSetId);
  const page = (lines ?? []).slice(0, limit);
  const last = page.at(-1);
  const next = (lines ?? []).length > limit && last ? { effectiveDate: last.effective_date, entrySeq: last.seq, lineNo: last.line_no } : null;
  return { accountSetId, from, to, accounts: accounts.map((account) => accountStatement(account, page)), next };
}

/**
 * The whole statement of a period in one read (one snapshot): every line, the
 * period's opening and closing balances. Refused beyond
 * STATEMENT_PERIOD_DAYS_MAX days (400 naming `to`) and beyond
 * STATEMENT_PERIOD_LINES_MAX lines (422 statement_too_large): an export is
 * never silently cut.
 */
export async function periodStatement(db: Db, query: Omit<StatementQuery, 'after' | 'limit'>, linesMax = STATEMENT_PERIOD_LINES_MAX): Promise<Statement> {
  const { accountSetId, from, to } = validateStatementQuery(query);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days > STATEMENT_PERIOD_DAYS_MAX) {
    throw new ValidationError('to', `makes a period of ${days} days (${from} to ${to}); a whole-period statement covers at most ${STATEMENT_PERIOD_DAYS_MAX} days: ask for shorter periods`);
  }
  const rows = await db.$queryRaw<{ statement: string }[]>(statementSql(accountSetId, from, to, null, linesMax));
  const { accounts, lines } = JSON.parse(rows[0].statement) as { accounts: StatementAccountRow[] | null; lines: StatementLineRow[] | null };
  if (!accounts) throw new NotFoundError('ledger account set', accountSetId);
  if ((lines ?? []).length > linesMax) {
    throw new BusinessRuleError(
      'statement_too_large',
      `${from} to ${to} has more than ${linesMax} statement lines; a whole-period statement holds at most ${linesMax}: ask for shorter periods, or page through the JSON statement`,
    );
  }
  return { accountSetId, from, to, accounts: accounts.map((account) => accountStatement(account, lines ?? [])), next: null };
}

function validateStatementQuery(query: StatementQuery): StatementQuery {
  requireUuid(query.accountSetId, 'accountSetId');
  requireIsoDate(query.from, 'from');
  requireIsoDate(query.to, 'to');
  if (query.from > query.to) throw new ValidationError('to', `is ${query.to}, before from (${query.from})`);
  if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > STATEMENT_LINES_MAX)) {
    throw new ValidationError('limit', `is ${query.limit}; must be a whole number from 1 to ${STATEMENT_LINES_MAX}`);
  }
  if (query.after) {
    const { effectiveDate, entrySeq, lineNo } = query.after;
    requireIsoDate(effectiveDate, 'after.effectiveDate');
    if (effectiveDate < query.from || effectiveDate > query.to) throw new ValidationError('after.effectiveDate', `is ${effectiveDate}, outside ${query.from}..${query.to}`);
    if (!/^[0-9]{1,18}$/.test(entrySeq)) throw new ValidationError('after.entrySeq', 'must be a journal entry sequence number');
    if (!Number.isInteger(lineNo) || lineNo < 0 || lineNo > 2_147_483_647) throw new ValidationError('after.lineNo', 'must be a line number');
  }
  return query;
}

function statementSql(accountSetId: string, from: string, to: string, after: StatementPosition | null, limit: number): Prisma.Sql {
  const beforePage = after
    ? Prisma.sql`(e.effective_date, e.seq, l.line_no) <= (${after.effectiveDate}::date, ${after.entrySeq}::bigint, ${after.lineNo}::int)`
    : Prisma.sql`e.effective_date < ${from}::date`;
  const inPage = after
    ? Prisma.sql`AND (e.effective_date, e.seq, l.line_no) > (${after.effectiveDate}::date, ${after.entrySeq}::bigint, ${after.lineNo}::int)`
    : Prisma.empty;
  return Prisma.sql`
    WITH account AS (
      SELECT a.id, a.code, a.name, a.normal_balance, a.currency,
             coalesce((SELECT sum(ledger_signed_amount(a.normal_balance, l.side, l.amount))
                         FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
                        WHERE l.account_id = a.id AND ${beforePage}), 0) AS opening
        FROM ledger_account a
       WHERE a.account_set_id = ${accountSetId}::uuid),
    line AS (
      SELECT l.account_id, e.id AS entry_id, e.effective_date, e.recorded_at, e.description,
             e.reverses_entry_id, e.seq, l.line_no, l.side, l.amount
        FROM account
        JOIN journal_line l ON l.account_id = account.id
        JOIN journal_entry e ON e.id = l.entry_id
       WHERE e.effective_date BETWEEN ${from}::date AND ${to}::date ${inPage}
       ORDER BY e.effective_date, e.seq, l.line_no
       LIMIT ${limit + 1})
    SELECT jsonb_build_object(
      'accounts', (SELECT jsonb_agg(jsonb_build_object(
                      'id', id, 'code', code, 'name', name, 'normal_balance', normal_balance,
                      'currency', currency, 'opening', opening::text) ORDER BY code) FROM account),
      'lines', (SELECT jsonb_agg(jsonb_build_object(
                      'account_id', account_id, 'entry_id', entry_id, 'effective_date', effective_date::text,
                      'recorded_at', to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                      'description', description, 'reverses_entry_id', reverses_entry_id, 'seq', seq::text,
                      'line_no', line_no, 'side', side, 'amount', amount::text)
                   ORDER BY effective_date, seq, line_no) FROM line)
    )::text AS statement`;
}

function accountStatement(account: StatementAccountRow, allLines: StatementLineRow[]): AccountStatement {
  const openingBalance = moneyAtScale(account.opening, account.currency);
  const lines = allLines.filter((line) => line.account_id === account.id);
  const movements = lines.map((line) => ({ side: line.side, amount: moneyAtScale(line.amount, account.currency) }));
  const balancesAfter = runningBalances(openingBalance, account.normal_balance, movements);
  return {
    accountId: account.id,
    code: account.code,
    name: account.name,
    normalBalance: account.normal_balance,
    currency: account.currency,
    openingBalance,
    lines: lines.map((line, index) => ({
      entryId: line.entry_id,
      effectiveDate: line.effective_date,
      recordedAt: new Date(line.recorded_at),
      description: line.description,
      reversesEntryId: line.reverses_entry_id,
      lineNo: line.line_no,
      side: line.side,
      debit: line.side === 'DEBIT' ? movements[index].amount : null,
      credit: line.side === 'CREDIT' ? movements[index].amount : null,
      runningBalance: balancesAfter[index],
    })),
    closingBalance: balancesAfter.at(-1) ?? openingBalance,
  };
}
