/**
 * The live-against-model comparison on a map (client/choir-geo.ts, client/geo-compare.ts): the
 * path figures, the pair classes and the per-class figures, exactly.
 */
import { describe, expect, it } from "vitest";
import { greatCircleKm, kmToOneWayMs } from "@choirmesh/signaling/latency";
import { meanPathMs, pathBetween, type ChoirGeo, type GeoPlace } from "@choirmesh/client/choir-geo";
import { allDirectNeighboursP50Ms, compareClasses, geoModel, pairClasses, placesById } from "@choirmesh/client/geo-compare";
import { engineHopFor } from "@choirmesh/signaling/planner/engine-timing";

const place = (lat: number, lon: number, accessMs = 2, jitterMs = 1): GeoPlace => ({ lat, lon, accessMs, jitterMs });
// Two singers in Paris, one in Lyon, one in Berlin, one in Madrid; a hub in Frankfurt.
const paris = place(48.86, 2.35);
const geo: ChoirGeo = {
  singers: [
    { place: paris, section: "alto", uploadKbps: 10_000 },
    { place: place(48.85, 2.3, 3, 2), section: "alto", uploadKbps: 10_000 },
    { place: place(45.76, 4.84), section: "bass", uploadKbps: 10_000 },
    { place: place(52.52, 13.4), section: "alto", uploadKbps: 10_000 },
    { place: place(40.42, -3.7), section: "bass", uploadKbps: 10_000 },
  ],
  hubs: [{ name: "hub-Frankfurt", place: place(50.11, 8.68, 0.5, 0) }],
};

describe("geography on loopback: paths and pair classes", () => {
  it("a path costs fibre over the great circle plus both access delays, jittered by both ends", () => {
    const a = geo.singers[0].place;
    const b = geo.singers[3].place;
    const p = pathBetween(a, b);
    expect(p.delayMs).toBeCloseTo(kmToOneWayMs(greatCircleKm(a, b)) + 4, 9);
    expect(p.jitterMs).toBe(2);
    expect(meanPathMs(a, b)).toBeCloseTo(p.delayMs + 1, 9);
    expect(pathBetween(a, b)).toEqual(pathBetween(b, a));
  });

  it("classes: all ordered pairs, each listener's k nearest by path, and section-mates", () => {
    const c = pairClasses(geo, 2);
    // Paris 0 hears Paris 1 and Lyon 2 as its 2 nearest; Berlin and Madrid are not.
    expect([1, 2, 3, 4].filter((a) => c.neighbours(a, 0))).toEqual([1, 2]);
    // Madrid: Lyon (1,020 km) and the Paris singer with the quicker line (Paris is 1,050 km).
    expect([0, 1, 2, 3].filter((a) => c.neighbours(a, 4))).toEqual([0, 2]);
    expect(c.neighbours(0, 0)).toBe(false);
    expect([1, 2, 3, 4].filter((a) => c.section(a, 0))).toEqual([1, 3]);
    expect(c.all(2, 3) && !c.all(3, 3)).toBe(true);
  });

  it("the neighbours' floor: each listener's k nearest all direct, at the median", () => {
    const c = pairClasses(geo, 1);
    const d: number[] = [];
    for (let b = 0; b < 5; b++) for (let a = 0; a < 5; a++) if (c.neighbours(a, b)) d.push(meanPathMs(geo.singers[a].place, geo.singers[b].place));
    expect(d.length).toBe(5);
    d.sort((x, y) => x - y);
    expect(allDirectNeighboursP50Ms(geo, 10, 1)).toBeCloseTo(d[2] + engineHopFor(10).directMs, 9);
    expect(engineHopFor(10).directMs).toBe(14.1);
  });

  it("the model over a star adds the links' mean paths to the engine's loopback timing; the class figures set it against live", () => {
    const names = new Map<string, string>([["h", "hub-Frankfurt"], ...geo.singers.map((_, i) => [`n${i}`, `s${i}`] as [string, string])]);
    const tree = { nodes: [{ id: "h", parent: null, depth: 0 }, ...geo.singers.map((_, i) => ({ id: `n${i}`, parent: "h", depth: 1 }))] };
    const model = geoModel(tree, placesById(geo, names), 10);
    const hop = engineHopFor(10, "forward");
    const hub = geo.hubs[0].place;
    expect(model("n0", "n3")).toBeCloseTo(hop.endpointsMs + hop.hubDelayMs + meanPathMs(geo.singers[0].place, hub) + meanPathMs(hub, geo.singers[3].place), 9);
    // Live 10 % above the model on every pair; one pair unheard.
    const index = new Map(geo.singers.map((_, i) => [`n${i}`, i] as [string, number]));
    const pairs = [];
    for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) if (a !== b) pairs.push({ from: `n${a}`, to: `n${b}`, heard: !(a === 4 && b === 3), delayMs: 1.1 * model(`n${a}`, `n${b}`) });
    const f = compareClasses(pairs, index, pairClasses(geo, 2), model);
    expect(f.all.pairs).toBe(20);
    expect(f.all.heard).toBe(19);
    expect(f.section.pairs).toBe(8);
    expect(f.neighbours.pairs).toBe(10);
    for (const c of ["all", "neighbours", "section"] as const) expect(f[c].errorPct).toBeCloseTo((100 * (1 - 1.1)) / 1.1, 6);
  });
});
