/**
 * Settlement ledger rules: what makes a proposed journal entry a valid double
 * entry, how its content is canonicalised for idempotency, how a line moves an
 * account's balance, and what a reversal is. Pure: no I/O, no clock.
 *
 * The database enforces the same invariants again (prisma/migrations/
 * 20261123000200_ledger); checking here first gives callers precise messages.
 */
import { Money } from './money';
import { ValidationError, assert } from './errors';

export type LedgerSide = 'DEBIT' | 'CREDIT';
export type LedgerAccountType = 'ASSET' | 'LIABILITY' | 'INCOME' | 'EXPENSE' | 'EQUITY';

export const LEDGER_SIDES: readonly LedgerSide[] = ['DEBIT', 'CREDIT'];
export const LEDGER_ACCOUNT_TYPES: readonly LedgerAccountType[] = ['ASSET', 'LIABILITY', 'INCOME', 'EXPENSE', 'EQUITY'];

export const ENTRY_LINES_MAX = 100;
export const DESCRIPTION_LENGTH_MAX = 1000;
export const IDEMPOTENCY_KEY_LENGTH_MAX = 200;
export const METADATA_JSON_LENGTH_MAX = 10_000;
/** journal_line.amount and ledger_account.balance are NUMERIC(38, 18): 20 integer digits. */
export const AMOUNT_INTEGER_DIGITS_MAX = 20;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface ProposedLine {
  accountId: string;
  side: LedgerSide;
  /** Positive, at the currency's scale; the side says which way it moves the account. */
  amount: Money;
}

export interface EntryProposal {
  idempotencyKey: string;
  description: string;
  /** Calendar date the entry takes effect, 'YYYY-MM-DD'. */
  effectiveDate: string;
  accountSetId?: string | null;
  metadata?: JsonObject | null;
  reversesEntryId?: string | null;
  lines: readonly ProposedLine[];
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/** A real calendar date written 'YYYY-MM-DD' (2026-02-30 is not one). */
export function isIsoDate(value: unknown): value is string {
  const match = typeof value === 'string' ? ISO_DATE_PATTERN.exec(value) : null;
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function requireIsoDate(value: unknown, field: string): string {
  if (!isIsoDate(value)) throw new ValidationError(field, `must be a calendar date written YYYY-MM-DD; got "${String(value)}"`);
  return value;
}

export function requireUuid(value: unknown, field: string): string {
  if (!isUuid(value)) throw new ValidationError(field, `must be a UUID; got "${String(value)}"`);
  return value;
}

/** Throws a ValidationError naming the first thing that makes `proposal` not a valid double entry. */
export function validateEntryProposal(proposal: EntryProposal): void {
  requireText(proposal.idempotencyKey, 'idempotencyKey', IDEMPOTENCY_KEY_LENGTH_MAX);
  requireText(proposal.description, 'description', DESCRIPTION_LENGTH_MAX);
  requireIsoDate(proposal.effectiveDate, 'effectiveDate');
  if (proposal.accountSetId != null) requireUuid(proposal.accountSetId, 'accountSetId');
  if (proposal.reversesEntryId != null) requireUuid(proposal.reversesEntryId, 'reversesEntryId');
  if (proposal.metadata != null) validateMetadata(proposal.metadata);
  validateLineCount(proposal.lines);
  proposal.lines.forEach((line, index) => validateLine(line, `lines[${index}]`));
  requireBalancedPerCurrency(proposal.lines);
}

function requireText(value: unknown, field: string, lengthMax: number): void {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new ValidationError(field, 'must be a non-blank string');
  }
  if (value.length > lengthMax) {
    throw new ValidationError(field, `has ${value.length} characters; at most ${lengthMax} allowed`);
  }
}

function validateMetadata(metadata: JsonObject): void {
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new ValidationError('metadata', 'must be a JSON object');
  }
  const length = canonicalJson(metadata, 'metadata').length;
  if (length > METADATA_JSON_LENGTH_MAX) {
    throw new ValidationError('metadata', `is ${length} characters as JSON; at most ${METADATA_JSON_LENGTH_MAX} allowed`);
  }
}

function validateLineCount(lines: readonly ProposedLine[]): void {
  if (!Array.isArray(lines) || lines.length < 2) {
    const count = Array.isArray(lines) ? lines.length : 0;
    throw new ValidationError('lines', `has ${count} line(s); a journal entry needs at least 2`);
  }
  if (lines.length > ENTRY_LINES_MAX) {
    throw new ValidationError('lines', `has ${lines.length} lines; at most ${ENTRY_LINES_MAX} allowed`);
  }
}

function validateLine(line: ProposedLine, field: string): void {
  requireUuid(line.accountId, `${field}.accountId`);
  if (!LEDGER_SIDES.includes(line.side)) {
    throw new ValidationError(`${field}.side`, `must be DEBIT or CREDIT; got "${String(line.side)}"`);
  }
  if (!(line.amount instanceof Money)) throw new ValidationError(`${field}.amount`, 'must be a Money');
  if (!line.amount.isPositive()) {
    throw new ValidationError(
      `${field}.amount`,
      `must be greater than zero (the side gives the direction); got ${line.amount.format()}`,
    );
  }
  if (!line.amount.isAtScale()) {
    throw new ValidationError(
      `${field}.amount`,
      `has ${line.amount.amount.decimalPlaces()} decimal places (${line.amount.format()}); ` +
        `${line.amount.currency} amounts are posted at their currency scale — round with Money.roundToScale() first`,
    );
  }
  const integerDigits = line.amount.amount.truncated().toFixed().length;
  if (integerDigits > AMOUNT_INTEGER_DIGITS_MAX) {
    throw new ValidationError(`${field}.amount`, `has ${integerDigits} integer digits; at most ${AMOUNT_INTEGER_DIGITS_MAX} fit the ledger`);
  }
}

interface CurrencyTotals {
  debits: Money;
  credits: Money;
}

/** Debit and credit totals of `lines`, per currency, in order of first appearance. */
export function totalsPerCurrency(lines: readonly ProposedLine[]): Map<string, CurrencyTotals> {
  const totals = new Map<string, CurrencyTotals>();
  for (const line of lines) {
    const zero = Money.zero(line.amount.currency);
    const current = totals.get(line.amount.currency) ?? { debits: zero, credits: zero };
    totals.set(
      line.amount.currency,
      line.side === 'DEBIT'
        ? { ...current, debits: current.debits.plus(line.amount) }
        : { ...current, credits: current.credits.plus(line.amount) },
    );
  }
  return totals;
}

function requireBalancedPerCurrency(lines: readonly ProposedLine[]): void {
  for (const { debits, credits } of totalsPerCurrency(lines).values()) {
    if (!debits.equals(credits)) {
      throw new ValidationError(
        'lines',
        `debits ${debits.format()} do not equal credits ${credits.format()}; in each currency debits must equal credits`,
      );
    }
  }
}

/**
 * The content an idempotency key stands for, as one canonical string: equal
 * for proposals that would post the same entry (whatever the line order, key
 * order in metadata, or "100" vs "100.00"), different otherwise. The key
 * itself is not part of it. The version prefix keeps old hashes meaningful if
 * the canonical form ever changes.
 */
export function canonicalEntryContent(proposal: EntryProposal): string {
  const lines = proposal.lines
    .map((line) => [line.accountId.toLowerCase(), line.side, line.amount.toFixedString(), line.amount.currency])
    .sort(compareStringTuples);
  return canonicalJson(
    {
      canonicalForm: 'godown.journal-entry.v1',
      description: proposal.description,
      effectiveDate: proposal.effectiveDate,
      accountSetId: proposal.accountSetId?.toLowerCase() ?? null,
      reversesEntryId: proposal.reversesEntryId?.toLowerCase() ?? null,
      metadata: proposal.metadata ?? null,
      lines,
    },
    'content',
  );
}

function compareStringTuples(a: string[], b: string[]): number {
  const left = a.join('\u0000');
  const right = b.join('\u0000');
  return left < right ? -1 : left > right ? 1 : 0;
}

/** JSON with object keys sorted at every depth; refuses values JSON cannot carry exactly. */
export function canonicalJson(value: JsonValue, field: string): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValidationError(field, `holds ${value}, which JSON cannot represent`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item, index) => canonicalJson(item, `${field}[${index}]`)).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key], `${field}.${key}`)}`).join(',')}}`;
  }
  throw new ValidationError(field, `holds a ${typeof value}, which is not JSON`);
}

/**
 * How a line moves an account's balance, in the account's normal-balance
 * terms: a line on the normal side increases it, on the other side decreases
 * it. (Same rule as ledger_signed_amount() in the database.)
 */
export function signedMovement(normalBalance: LedgerSide, side: LedgerSide, amount: Money): Money {
  return side === normalBalance ? amount : amount.negated();
}

export function oppositeSide(side: LedgerSide): LedgerSide {
  return side === 'DEBIT' ? 'CREDIT' : 'DEBIT';
}

/** The mirror of an entry's lines: same accounts and amounts, sides swapped, so that both together net to nothing. */
export function reversalLines(lines: readonly ProposedLine[]): ProposedLine[] {
  return lines.map((line) => ({ ...line, side: oppositeSide(line.side) }));
}

export interface ReversibleEntry {
  id: string;
  effectiveDate: string;
  accountSetId: string | null;
  lines: readonly ProposedLine[];
}

export interface ReversalRequest {
  idempotencyKey: string;
  effectiveDate: string;
  reason: string;
}

/** The entry that undoes `original`: its mirror lines, linked to it, explained by `reason`. */
export function reversalProposal(original: ReversibleEntry, request: ReversalRequest): EntryProposal {
  requireIsoDate(request.effectiveDate, 'effectiveDate');
  requireText(request.reason, 'reason', DESCRIPTION_LENGTH_MAX - 100);
  // A correction cannot take effect before what it corrects: statements would show the undo before the deed.
  if (request.effectiveDate < original.effectiveDate) {
    throw new ValidationError(
      'effectiveDate',
      `is ${request.effectiveDate}, before ${original.effectiveDate} when entry ${original.id} took effect; a reversal takes effect on or after it`,
    );
  }
  return {
    idempotencyKey: request.idempotencyKey,
    description: `Reversal of entry ${original.id}: ${request.reason}`,
    effectiveDate: request.effectiveDate,
    accountSetId: original.accountSetId,
    metadata: { reversalReason: request.reason },
    reversesEntryId: original.id,
    lines: reversalLines(original.lines),
  };
}

export interface Movement {
  side: LedgerSide;
  amount: Money;
}

/** The balance after each movement, starting from `opening`, in normal-balance terms. */
export function runningBalances(opening: Money, normalBalance: LedgerSide, movements: readonly Movement[]): Money[] {
  const balances: Money[] = [];
  let balance = opening;
  for (const movement of movements) {
    assert(movement.amount.currency === opening.currency, `statement movements are in ${opening.currency}`);
    balance = balance.plus(signedMovement(normalBalance, movement.side, movement.amount));
    balances.push(balance);
  }
  return balances;
}
