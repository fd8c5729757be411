/**
 * `npm run bench:moves -- [--runs 3] [--json]`: planned changes on a live 7-singer choir
 * (bench/chaos/planned-move.ts): moves made before they are broken and, for comparison, broken
 * first; a hub that leaves with a hand-over to its children's new parents and without one.
 * Progress goes to stderr; the last line is
 *   {"runs": .., "made": {"gapMaxMs": [..]}, "broken": {"gapMaxMs": [..]},
 *    "leave": {"gapMaxMs": [..]}, "leaveNoHandover": {"gapMaxMs": [..]}}
 * with the longest gap, ms, of any pair with a moved singer (an orphan) at either end, one per run.
 */
import { parseArgs } from "node:util";
import { configureLogging } from "@choirmesh/common/log";
import { runHubLeave, runPlannedMove } from "@choirmesh/client/chaos/planned-move";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, json: { type: "boolean", default: false } } });
configureLogging(process.env.CHOIRMESH_LOG ?? "warn");
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--runs must be a positive integer, not ${values.runs}\n`);
  process.exit(2);
}
const made: number[] = [];
const broken: number[] = [];
const leave: number[] = [];
const leaveNoHandover: number[] = [];
for (let i = 0; i < runs; i++) {
  for (const makeBeforeBreak of [true, false]) {
    const r = await runPlannedMove({ makeBeforeBreak });
    if (r.moved.length !== 2 || r.unheardPairs > 0) throw new Error(`run ${i + 1}: the moves did not happen as planned: ${JSON.stringify(r)}`);
    (makeBeforeBreak ? made : broken).push(r.gapMaxMs);
    process.stderr.write(`run ${i + 1}/${runs} move ${makeBeforeBreak ? "made before broken" : "broken first"}: longest gap ${r.gapMaxMs} ms (before it ${r.baselineGapMaxMs} ms)\n`);
  }
  for (const handoverMs of [1500, 0]) {
    const r = await runHubLeave({ handoverMs });
    if (r.unheardPairs > 0) throw new Error(`run ${i + 1}: pairs unheard after the hub left: ${JSON.stringify(r)}`);
    (handoverMs > 0 ? leave : leaveNoHandover).push(r.gapMaxMs);
    process.stderr.write(`run ${i + 1}/${runs} hub leave ${handoverMs > 0 ? "with hand-over" : "without"}: longest gap ${r.gapMaxMs} ms (before it ${r.baselineGapMaxMs} ms)\n`);
  }
}
console.log(JSON.stringify({ runs, made: { gapMaxMs: made }, broken: { gapMaxMs: broken }, leave: { gapMaxMs: leave }, leaveNoHandover: { gapMaxMs: leaveNoHandover } }));
process.exit(0);
