// Responses that broke the OpenAPI document, held until the running test ends (kept apart from
// openapi-contract.ts so that the hooks every test file loads import nothing heavy).
const VIOLATIONS_KEY = Symbol.for('godown.openapiContractViolations');

function violationStore(): string[] {
  const holder = globalThis as unknown as Record<symbol, string[] | undefined>;
  holder[VIOLATIONS_KEY] ??= [];
  return holder[VIOLATIONS_KEY];
}

export function recordContractViolation(violation: string): void {
  violationStore().push(violation);
}

/** The violations recorded since the last call. */
export function takeContractViolations(): string[] {
  return violationStore().splice(0);
}
