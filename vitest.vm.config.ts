import { defineConfig } from 'vitest/config';

// The real-kernel suite (test/vm, docs/testing.md): each file boots its own QEMU machine and runs
// many checks against it. Files run one at a time (software emulation takes both cores), after the
// rest of the suite (`npm test` runs this config second) and alone with `npm run test:vm`.
export default defineConfig({
  test: {
    include: ['test/vm/**/*.test.ts'],
    globalSetup: ['test/vm/global-setup.ts'],
    reporters: ['default', './test/reporters/closing-line.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
});
