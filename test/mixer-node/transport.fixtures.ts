/**
 * PeerLink over real werift on loopback. Kept few and short: the machine has
 * two shared cores and every test here opens real sockets.
 */
import { quantile } from "@choirmesh/common/quantiles";
import { afterEach } from "vitest";
import { connectLoopbackPair, type LinkPair } from "@choirmesh/mixer-node/transport/loopback";
import { PeerLink } from "@choirmesh/mixer-node/transport/peer-link";
import type { LinkState } from "@choirmesh/mixer-node/transport/types";
export const open: LinkPair[] = [];
export async function pair(options?: Parameters<typeof connectLoopbackPair>[0]): Promise<LinkPair> {
  const p = await connectLoopbackPair(options);
  open.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const pct = quantile;

/** A payload that identifies packet `i` and its send time, with a body to check for corruption. */
export function makePayload(i: number): Uint8Array {
  const len = 20 + (i % 100);
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, i);
  v.setFloat64(4, performance.now());
  for (let k = 12; k < len; k++) b[k] = (i * 7 + k) & 0xff;
  return b;
}
export function checkPayload(p: Uint8Array): { i: number; sentAt: number; intact: boolean } {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const i = v.getUint32(0);
  let intact = p.byteLength === 20 + (i % 100);
  for (let k = 12; intact && k < p.byteLength; k++) intact = p[k] === ((i * 7 + k) & 0xff);
  return { i, sentAt: v.getFloat64(4), intact };
}

export interface Received {
  seq: number;
  ts: number;
  i: number;
  intact: boolean;
  latencyMs: number;
  arrivalMs: number;
}
export function record(link: PeerLink): Received[] {
  const got: Received[] = [];
  link.onOpus((seq, ts, payload, arrivalMs) => {
    const c = checkPayload(payload);
    got.push({ seq, ts, i: c.i, intact: c.intact, latencyMs: arrivalMs - c.sentAt, arrivalMs });
  });
  return got;
}

/** Sends `count` packets on an absolute schedule of one per `everyMs`. */
export async function stream(link: PeerLink, count: number, everyMs: number, samples = 480): Promise<number> {
  const t0 = performance.now();
  let sent = 0;
  for (let i = 0; i < count; i++) {
    const due = t0 + i * everyMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (link.sendOpus(makePayload(i), samples)) sent++;
  }
  return sent;
}

export function waitForState(link: PeerLink, state: LinkState, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    if (link.state === state) return resolve(0);
    const timer = setTimeout(() => reject(new Error(`${link.label} not ${state} after ${timeoutMs} ms`)), timeoutMs);
    const off = link.on("state", (s) => {
      if (s !== state) return;
      clearTimeout(timer);
      off();
      resolve(performance.now() - t0);
    });
  });
}
