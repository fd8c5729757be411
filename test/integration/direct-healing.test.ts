/**
 * A direct link between neighbours heals like the others (runtime/direct-links.ts): when its media
 * stops, each singer stops reporting the other, so their hub mixes the other's voice for it again;
 * when the media comes back, the hub leaves it out again. Real signaling and WebRTC on loopback,
 * the nodes in this process.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ChoirNode } from "@choirmesh/mixer-node/runtime/choir-node";
import { SignatureVoice } from "@choirmesh/mixer-node/signature";
import { startSignalingServer, type SignalingServer } from "@choirmesh/signaling/server";

const nodes: ChoirNode[] = [];
let server: SignalingServer | null = null;
afterAll(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop()));
  await server?.close();
});

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - t0;
}

describe("direct neighbours heal", () => {
  it("a cut direct link puts each voice back in the hub's mix for the other, and takes it out again once restored", async () => {
    server = await startSignalingServer({ port: 0, host: "127.0.0.1", planner: { maxFanout: 8, directPerSinger: 2, directMaxMs: 100 } });
    const common = { url: server.url, room: "direct-heal", link: { loopbackOnly: true }, rttReportMs: 0 } as const;
    const hub = new ChoirNode({ ...common, name: "hub", canHub: true, hasVoice: false, dedicated: true, uploadKbps: 100_000 });
    nodes.push(hub);
    await hub.start();
    const [a, b] = [0, 1].map((i) => new ChoirNode({ ...common, name: `s${i}`, canHub: false, uploadKbps: 10_000, voice: new SignatureVoice(i) }));
    nodes.push(a, b);
    await a.start();
    await b.start();
    const hears = () => hub.toJSON().direct?.childrenHear ?? {};
    const both = () => hears()[a.id!]?.includes(b.id!) === true && hears()[b.id!]?.includes(a.id!) === true;
    const neither = () => hears()[a.id!]?.length === 0 && hears()[b.id!]?.length === 0;
    await until("the pair to hear each other directly", both);
    // Both ends of the direct link are named by the server and connected.
    expect(a.toJSON().direct?.peers).toEqual([{ peer: b.id, state: "connected", slot: expect.any(Number) }]);
    a.linkTo(b.id!)!.cut(Infinity);
    const fellBackMs = await until("the hub to mix each for the other again", neither, 5_000);
    a.linkTo(b.id!)!.restore();
    const backMs = await until("the direct link to carry them again", both, 5_000);
    console.log(`direct link cut: the hub mixed them again after ${fellBackMs.toFixed(0)} ms; restored: direct again after ${backMs.toFixed(0)} ms`);
    // Silence for 300 ms, then a report within a check (200 ms), relayed: well under 2 s.
    expect(fellBackMs).toBeLessThan(2_000);
  }, 60_000);
});
