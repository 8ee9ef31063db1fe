// Loaded before every test file (jest.config.js, setupFilesAfterEnv): a response that does not match the
// OpenAPI document (test/support/openapi-contract.ts) fails the test during which it was sent.
import { takeContractViolations } from './contract-violations';

function failOnContractViolations(): void {
  const violations = takeContractViolations();
  if (violations.length > 0) throw new Error(`${violations.length} response(s) do not match the OpenAPI document:\n- ${violations.join('\n- ')}`);
}

afterEach(failOnContractViolations);
afterAll(failOnContractViolations);
