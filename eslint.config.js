// Placeholder flat config; the import matrix rules land with the architecture work (issue #2).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'coverage/**', 'test/fixtures/**', 'test-artifacts/**'] },
  ...tseslint.configs.recommended,
);
