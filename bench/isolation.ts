// `npm run bench -- isolation [runs]`: wall time of `mng isolation check` with 10 canaries, run
// inside network namespaces made here (issue #4 goal: ≤ 2 s wall); the lab and the figures are in
// lib/media-isolation.ts (shared with `bench media`). Nothing outside the test namespaces is
// contacted. Last line: one JSON object of figures.
import { measureIsolation } from './lib/media-isolation';

const runs = Number(process.argv[2] ?? 5);
const figures = await measureIsolation(runs, (line) => {
  process.stdout.write(`${line}\n`);
});
process.stdout.write(`${JSON.stringify({ benchmark: 'isolation', ...figures })}\n`);
