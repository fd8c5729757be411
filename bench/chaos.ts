/**
 * `npm run chaos -- --json`: the four fault scenarios of the self-healing tree on a local choir
 * over real WebRTC (bench/chaos/scenarios.ts). Progress goes to stderr; the last line is
 *   {"hubKill": {"orphanRecoveryMs": {"p50": .., "max": ..}, "unaffectedGapMaxMs": ..},
 *    "linkCut": {"recoveryMs": ..}, "signalingRestart": {"audioGapMaxMs": ..},
 *    "loss10": {"gapMaxMs": .., "concealedShare": ..}}
 * (with a few more fields for context).
 */
import { parseArgs } from "node:util";
import os from "node:os";
import type { FrameMs } from "@choirmesh/mixer-node/codec/types";
import { configureLogging } from "@choirmesh/common/log";
import { runChaos } from "@choirmesh/client/chaos/scenarios";

const { values } = parseArgs({
  options: {
    singers: { type: "string", default: "13" },
    fanout: { type: "string", default: "3" },
    "frame-ms": { type: "string", default: "10" },
    grace: { type: "string", default: "5000" },
    "no-standby": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
configureLogging(process.env.CHOIRMESH_LOG ?? "warn");

const t0 = performance.now();
const r = await runChaos({
  singers: Number(values.singers),
  fanout: Number(values.fanout),
  frameMs: Number(values["frame-ms"]) as FrameMs,
  disconnectGraceMs: Number(values.grace),
  warmStandby: !values["no-standby"],
  log: (line) => process.stderr.write(`${line}\n`),
});
const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : x);
const out = {
  hubKill: {
    orphanRecoveryMs: { p50: round(r.hubKill.orphanRecoveryMs.p50), max: round(r.hubKill.orphanRecoveryMs.max) },
    unaffectedGapMaxMs: round(r.hubKill.unaffectedGapMaxMs),
    baselineGapMaxMs: round(r.hubKill.baselineGapMaxMs),
    orphans: r.hubKill.orphans,
  },
  linkCut: { recoveryMs: round(r.linkCut.recoveryMs), recoveryMaxMs: round(r.linkCut.recoveryMaxMs), moved: r.linkCut.moved },
  signalingRestart: {
    audioGapMaxMs: round(r.signalingRestart.audioGapMaxMs),
    baselineGapMaxMs: round(r.signalingRestart.baselineGapMaxMs),
    treeUnchanged: r.signalingRestart.treeUnchanged,
  },
  loss10: {
    gapMaxMs: round(r.loss10.gapMaxMs),
    baselineGapMaxMs: round(r.loss10.baselineGapMaxMs),
    concealedShare: Math.round(r.loss10.concealedShare * 1000) / 1000,
    redundantShare: Math.round(r.loss10.redundantShare * 1000) / 1000,
  },
  singers: r.singers,
  depth: r.depth,
  frameMs: r.frameMs,
  warmStandby: r.warmStandby,
  load1: Math.round(os.loadavg()[0] * 10) / 10,
  seconds: Math.round((performance.now() - t0) / 100) / 10,
};
if (!values.json) process.stderr.write(`${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out));
