import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/fixtures/**', 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/reporters/closing-line.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
