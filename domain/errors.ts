/**
 * Typed domain errors. Each carries a stable `code` so that the API edge can
 * map it once to RFC 9457 problem+json, and a message that says what was
 * wrong and what would be right.
 */

export abstract class DomainError extends Error {
  abstract readonly code: string;

  protected constructor(message: string) {
    super(message);
    // The subclass name survives minification-free builds and is what
    // Temporal uses to recognise non-retryable error types.
    this.name = new.target.name;
  }
}

/** Input that does not meet the contract; `field` is the path of the offending value. */
export class ValidationError extends DomainError {
  readonly code = 'validation_failed';

  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field} ${reason}`);
  }
}

/** Two amounts in different currencies were combined. */
export class CurrencyMismatchError extends DomainError {
  readonly code = 'currency_mismatch';

  constructor(
    readonly expectedCurrency: string,
    readonly actualCurrency: string,
    readonly operation = 'combine',
    /** The request field that carried the wrong currency (`body.amount.currency`), when one did. */
    readonly field?: string,
  ) {
    super(
      field === undefined
        ? `cannot ${operation} ${actualCurrency} with ${expectedCurrency}; both amounts must be in ${expectedCurrency}`
        : `${field} is ${actualCurrency}; ${operation} is in ${expectedCurrency}`,
    );
  }

  /** The reason as a field problem says it (the field is named beside it). */
  get reason(): string {
    return `is ${this.actualCurrency}; ${this.operation} is in ${this.expectedCurrency}`;
  }
}

/**
 * The one refusal of an amount sent in another currency than the one it is
 * owed in: 422 currency_mismatch naming the field, the same on every route.
 */
export function requireCurrency(field: string, given: string, expected: string, owedIn = 'the line'): void {
  if (given !== expected) throw new CurrencyMismatchError(expected, given, owedIn, field);
}

/** A bug: something that must always hold did not. Never retried, never clamped. */
export class InvariantViolation extends DomainError {
  readonly code = 'invariant_violation';

  constructor(whatShouldHold: string) {
    super(`invariant violated: ${whatShouldHold}`);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';

  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} does not exist or is not visible to you`);
  }
}

/** The request clashes with the current state (e.g. a concurrent change, a duplicate). */
export class ConflictError extends DomainError {
  readonly code = 'conflict';

  /** `field`, when given, is the path of the value that clashes (e.g. `body.receiptNumber` for a duplicate), so that a form can show it there. */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * A well-formed request that a business rule refuses, with a specific code
 * such as 'insufficient_availability' or 'self_approval'.
 */
export class BusinessRuleError extends DomainError {
  /** `field`, when the refusal concerns one value of the request, is its path (e.g. `body.items.0.quantity.unit`). */
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';

  constructor(message: string) {
    super(message);
  }
}

/** Stops the operation loudly when `whatShouldHold` is false. */
export function assert(condition: unknown, whatShouldHold: string): asserts condition {
  if (!condition) throw new InvariantViolation(whatShouldHold);
}
