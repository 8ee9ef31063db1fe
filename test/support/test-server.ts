export const TEMPLATE_DATABASE = 'godown_test_template';
/** Set by global-setup; Jest workers inherit the environment of the process that ran it. */
export const TEST_SERVER_ENV = 'GODOWN_TEST_SERVER_URL';

export function testServerUrl(): string {
  const url = process.env[TEST_SERVER_ENV];
  if (!url) throw new Error(`${TEST_SERVER_ENV} is not set: run tests through jest (its globalSetup starts PostgreSQL)`);
  return url;
}
