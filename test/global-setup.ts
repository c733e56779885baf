// Builds dist/ once before the suite, so tests that run the real `mng` and agent bundles never
// see a stale build.
import { buildAll } from '../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await buildAll({ quiet: true });
}
