/**
 * Neighbours who hear each other directly, on a meshed top tier, live (planner/direct.ts,
 * runtime/direct-links.ts, the mixer's exclusions): six singers placed on a map, three around
 * Paris and three around Warsaw, under dedicated hubs in Paris and Warsaw whose root is in
 * Frankfurt. Each trio hears itself peer to peer, each region hears the other through its own top
 * hub, and nobody hears a voice twice or their own.
 */
import { describe, expect, it } from "vitest";
import { runChoir } from "@choirmesh/client/choir-run";
import type { ChoirGeo, GeoPlace } from "@choirmesh/client/choir-geo";
import type { RemoteRecording } from "@choirmesh/client/remote-node";
import { compareClasses, directPairsOf, geoModel, pairClasses, placesById } from "@choirmesh/client/geo-compare";
import { estimateDelay } from "@choirmesh/mixer-node/signature";

const home = (lat: number, lon: number, label: string): GeoPlace => ({ lat, lon, accessMs: 3, jitterMs: 1, label });
const dc = (lat: number, lon: number, label: string): GeoPlace => ({ lat, lon, accessMs: 0.5, jitterMs: 0, label });
const geo: ChoirGeo = {
  singers: [
    { place: home(48.86, 2.35, "Paris"), section: "alto", uploadKbps: 10_000 },
    { place: home(52.23, 21.01, "Warsaw"), section: "alto", uploadKbps: 10_000 },
    { place: home(48.8, 2.13, "Versailles"), section: "bass", uploadKbps: 10_000 },
    { place: home(52.4, 16.93, "Poznań"), section: "bass", uploadKbps: 10_000 },
    { place: home(49.26, 4.03, "Reims"), section: "tenor", uploadKbps: 10_000 },
    { place: home(51.76, 19.46, "Łódź"), section: "tenor", uploadKbps: 10_000 },
  ],
  hubs: [
    { name: "hub-Frankfurt", place: dc(50.11, 8.68, "Frankfurt") },
    { name: "hub-Paris", place: dc(48.86, 2.35, "Paris") },
    { name: "hub-Warsaw", place: dc(52.23, 21.01, "Warsaw") },
  ],
};

describe("direct neighbours on a meshed top tier", () => {
  it("six singers in two regions: trios hear each other directly, regions through their top hubs, every voice once", async () => {
    let recs: ReadonlyMap<string, RemoteRecording> = new Map();
    const r = await runChoir({
      singers: 6,
      fanout: 4,
      seconds: 3,
      // Own voice over 8 s: over 3 s the estimate's noise alone reads up to about -40 dB.
      ownVoiceSeconds: 8,
      frameMs: 10,
      topology: "topMesh",
      downPath: "forward",
      geo,
      direct: { perSinger: 2, maxMs: 15 },
      onRecordings: (m) => (recs = m),
    });
    const name = (id: string) => r.names.get(id)!;
    const parentOf = new Map(r.tree.nodes.map((n) => [name(n.id), n.parent ? name(n.parent) : null] as const));
    // The tier: Paris and Warsaw under Frankfurt, each trio under its own top hub.
    expect([parentOf.get("hub-Paris"), parentOf.get("hub-Warsaw")]).toEqual(["hub-Frankfurt", "hub-Frankfurt"]);
    expect([0, 2, 4].map((i) => parentOf.get(`s${i}`))).toEqual(["hub-Paris", "hub-Paris", "hub-Paris"]);
    expect([1, 3, 5].map((i) => parentOf.get(`s${i}`))).toEqual(["hub-Warsaw", "hub-Warsaw", "hub-Warsaw"]);
    // Within each trio every pair is direct (and the top hubs hear each other directly too).
    const direct = directPairsOf(r.nodeStats);
    const trio = (i: number, j: number) => i !== j && i % 2 === j % 2;
    const id = (i: number) => [...r.names].find(([, n]) => n === `s${i}`)![0];
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) if (i !== j) expect({ i, j, direct: direct(id(i), id(j)) }).toEqual({ i, j, direct: trio(i, j) });
    // Direct pairs are heard sooner than the way through their hub would take (the model's).
    const viaHub = geoModel(r.tree, placesById(geo, r.names), 10, () => false, true);
    const delayOf = (i: number, j: number) => r.pairs.find((p) => p.from === id(i) && p.to === id(j))!.delayMs;
    const gains: number[] = [];
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) if (trio(i, j)) gains.push(viaHub(id(i), id(j)) - delayOf(i, j));
    gains.sort((a, b) => a - b);
    expect(gains[gains.length >> 1]).toBeGreaterThan(5);
    // Nobody hears a direct neighbour a second time, through the hub: a second copy ~10-20 ms
    // after the first (tones of n x 100 Hz) would move the voice's level away from one copy's
    // (measured with the hub's exclusions off: the run is not even heard whole).
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        if (!trio(i, j)) continue;
        const rec = recs.get(id(j))!;
        const heard = rec.hear.subarray(0, Math.min(rec.length, 3 * 48_000));
        // A jitter buffer that drops or inserts a frame mid-recording moves the one copy by a frame.
        const est = estimateDelay(heard, rec.startAbs, i, { maxDelayMs: 300, skipMs: 100, shiftToleranceMs: 10 });
        expect({ i, j, once: Math.abs(est.gainDb) < 1.5 && est.correlation > 0.9 }).toEqual({ i, j, once: true });
      }
    }
    expect(r.heardAll).toBe(true);
    expect(r.selfLeakDb).toBeLessThan(-40);
    // The model of the meshed tier with direct pairs (geo-compare.ts) over the same placement and
    // tree, at the median: measured 2.1-17.6 % off (live the faster under CI's load). The bound is
    // a sanity check: a model that left out the links (the loopback model) is ~40 % off.
    const index = new Map([...r.names].filter(([, n]) => /^s\d$/.test(n)).map(([i, n]) => [i, Number(n.slice(1))] as [string, number]));
    const f = compareClasses(r.pairs, index, pairClasses(geo, 2), geoModel(r.tree, placesById(geo, r.names), 10, direct, true));
    expect(Math.abs(f.all.errorPct)).toBeLessThan(30);
    console.log(
      `direct neighbours: model ${f.all.modelP50Ms.toFixed(1)} ms against live ${f.all.liveP50Ms.toFixed(1)} (${f.all.errorPct.toFixed(1)} %); ` +
        `direct pairs gain ${gains[gains.length >> 1].toFixed(1)} ms (median) over the way through the hub`,
    );
  }, 120_000);
});
