/**
 * `npm run bench:moves -- [--runs 3] [--json]`: planned moves on a live 7-singer choir
 * (bench/chaos/planned-move.ts), made before they are broken and, for comparison, broken first.
 * Progress goes to stderr; the last line is
 *   {"runs": .., "made": {"gapMaxMs": [..]}, "broken": {"gapMaxMs": [..]}}
 * with the longest gap, ms, of any pair with a moved singer at either end, one per run.
 */
import { parseArgs } from "node:util";
import { configureLogging } from "../signaling/src/log.js";
import { runPlannedMove } from "./chaos/planned-move.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, json: { type: "boolean", default: false } } });
configureLogging(process.env.CHOIRMESH_LOG ?? "warn");
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--runs must be a positive integer, not ${values.runs}\n`);
  process.exit(2);
}
const made: number[] = [];
const broken: number[] = [];
for (let i = 0; i < runs; i++) {
  for (const makeBeforeBreak of [true, false]) {
    const r = await runPlannedMove({ makeBeforeBreak });
    if (r.moved.length !== 2 || r.unheardPairs > 0) throw new Error(`run ${i + 1}: the moves did not happen as planned: ${JSON.stringify(r)}`);
    (makeBeforeBreak ? made : broken).push(r.gapMaxMs);
    process.stderr.write(`run ${i + 1}/${runs} ${makeBeforeBreak ? "made before broken" : "broken first"}: longest gap ${r.gapMaxMs} ms (before the move ${r.baselineGapMaxMs} ms)\n`);
  }
}
console.log(JSON.stringify({ runs, made: { gapMaxMs: made }, broken: { gapMaxMs: broken } }));
process.exit(0);
