import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The real-kernel suite has its own config (vitest.vm.config.ts) and runs after this one.
    exclude: ['test/fixtures/**', 'test/vm/**', 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/reporters/closing-line.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
