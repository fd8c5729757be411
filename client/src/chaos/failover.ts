/**
 * A signaling process of a cluster killed mid-song: a choir whose singers alternate between two
 * signaling processes sharing the room through a real Redis, the room's owner killed (SIGKILL)
 * while everyone sings. Its singers reconnect to the other process and resume in their places;
 * the audio, which never went through signaling, does not notice. Measured from what singers hear,
 * like the restart of a single server (scenarios.ts).
 */
import { ChaosChoir, sleep, type ChaosChoirOptions } from "./choir.js";
import { SETTLED_JITTER_MS, signalingOutage, type ChaosResult } from "./scenarios.js";

export interface FailoverResult {
  outage: ChaosResult["signalingRestart"];
  /** From the kill until every singer is connected to a signaling server again and resumed, ms. */
  resumedMs: number;
  singers: number;
  depth: number;
}

export async function runSignalingFailover(opts: Partial<ChaosChoirOptions> = {}): Promise<FailoverResult> {
  const log = opts.log ?? (() => {});
  const c = new ChaosChoir({ singers: 7, fanout: 2, frameMs: 10, disconnectGraceMs: 0, warmStandby: true, log, ...opts, cluster: true });
  let analysis: () => ChaosResult["signalingRestart"];
  let resumedMs = NaN;
  let depth = 0;
  try {
    await c.start();
    await sleep(3000);
    depth = Math.max(...(await c.tree()).nodes.map((n) => n.depth));
    const waited = await c.settleJitter(SETTLED_JITTER_MS, 15_000);
    log(waited < 0 ? `jitter buffers still deeper than ${SETTLED_JITTER_MS} ms after 15 s; going on` : `jitter buffers settled in ${(waited / 1000).toFixed(1)} s`);
    const resumesBefore = await Promise.all(c.live().map(async (n) => (await n.state()).resumes));
    let killedAt = 0;
    analysis = await signalingOutage(
      c,
      log,
      async () => {
        killedAt = performance.now();
        await c.killServer(0);
        // Every singer of the killed process resumed (its resume count went up) on the other.
        for (;;) {
          const now = await Promise.all(c.live().map(async (n) => (await n.state()).resumes));
          const ofKilled = now.filter((r, i) => i % 2 === 0 && r > resumesBefore[i]!).length;
          if (ofKilled === Math.ceil(c.live().length / 2)) break;
          if (performance.now() - killedAt > 10_000) break;
          await sleep(50);
        }
        resumedMs = Math.round(performance.now() - killedAt);
      },
      "signalingFailover: kill -9 of the signaling process that owns the room",
    );
  } finally {
    await c.stop();
  }
  return { outage: analysis(), resumedMs, singers: c.opts.singers, depth };
}
