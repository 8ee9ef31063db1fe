/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking is `tsc --noEmit` (run by `npm test` first); Jest only transpiles.
  // CommonJS output turns dynamic import() into require(), which Jest's VM needs.
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { module: 'commonjs', moduleResolution: 'node', isolatedModules: true } }],
  },
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // Every response a test receives from the test app is checked against the OpenAPI document.
  setupFilesAfterEnv: ['<rootDir>/test/support/contract-hooks.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
