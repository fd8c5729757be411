import { describe, expect, it } from "vitest";
import {
  VivaldiSpace,
  estimateOneWayMs,
  estimateSource,
  geoPropagationMs,
  greatCircleKm,
  toUnitVec,
  unitVecKm,
} from "@choirmesh/signaling/latency";
import { Rng } from "@choirmesh/sim/rng";

const LONDON = { lat: 51.50853, lon: -0.12574 };
const PARIS = { lat: 48.85341, lon: 2.3488 };

describe("geographic estimate", () => {
  it("London-Paris: 343.8 km great circle, 3.61 ms one way at 2.1 x route over 200 km/ms", () => {
    // Spherical law of cosines by hand (R = 6371.0088 km):
    // cos c = sin 51.50853 sin 48.85341 + cos 51.50853 cos 48.85341 cos 2.47454 deg -> c = 0.053959 rad
    expect(greatCircleKm(LONDON, PARIS)).toBeCloseTo(343.77, 1);
    expect(geoPropagationMs(LONDON, PARIS)).toBeCloseTo((343.77 * 2.1) / 200, 2);
    expect(unitVecKm(toUnitVec(LONDON), toUnitVec(PARIS))).toBeCloseTo(343.77, 1);
    expect(greatCircleKm(LONDON, LONDON)).toBe(0);
    // Antipodes: half the circumference.
    expect(greatCircleKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(Math.PI * 6371.0088, 3);
  });

  it("adds both ends' access delays; falls back to a default without places", () => {
    const a = { id: "a", pos: toUnitVec(LONDON), accessMs: 3 };
    const b = { id: "b", pos: toUnitVec(PARIS), accessMs: 0.5 };
    expect(estimateOneWayMs(a, b, null, 25)).toBeCloseTo(3.6096 + 3.5, 3);
    expect(estimateOneWayMs(a, { ...b, pos: null }, null, 25)).toBe(25);
    expect(estimateSource(a, b, null)).toBe("geo");
  });
});

describe("Vivaldi coordinates", () => {
  /** A synthetic metric space: points in a 2-D plane (ms) plus per-node access heights. */
  function space(n: number, seed: number) {
    const rng = new Rng(seed);
    const pts = Array.from({ length: n }, () => ({ x: rng.range(0, 120), y: rng.range(0, 80), h: rng.range(1, 8) }));
    const rtt = (i: number, j: number) => Math.hypot(pts[i].x - pts[j].x, pts[i].y - pts[j].y) + pts[i].h + pts[j].h;
    return { pts, rtt, rng };
  }

  function medianRelError(v: VivaldiSpace, n: number, rtt: (i: number, j: number) => number): number {
    const errs: number[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) errs.push(Math.abs(v.predictRttMs(`${i}`, `${j}`) - rtt(i, j)) / rtt(i, j));
    errs.sort((a, b) => a - b);
    return errs[errs.length >> 1];
  }

  it("converges on a synthetic metric space with heights", () => {
    const n = 60;
    const { rtt, rng } = space(n, 3);
    const v = new VivaldiSpace();
    for (let i = 0; i < n; i++) v.add(`${i}`);
    const initial = medianRelError(v, n, rtt);
    // Each node probes 8 random peers per round, as nodes report probes to a few peers.
    for (let round = 0; round < 60; round++)
      for (let i = 0; i < n; i++)
        for (let k = 0; k < 8; k++) {
          const j = rng.int(n);
          if (j !== i) v.observe(`${i}`, `${j}`, rtt(i, j));
        }
    const final = medianRelError(v, n, rtt);
    expect(initial).toBeGreaterThan(0.8);
    expect(final).toBeLessThan(0.08);
    for (let i = 0; i < n; i++) expect(v.trusted(`${i}`)).toBe(true);
  });

  it("ignores garbage and unknown nodes, and trusts a node only after enough samples", () => {
    const v = new VivaldiSpace({ minSamples: 5 });
    v.add("a");
    v.add("b");
    for (const bad of [NaN, -5, 0, Infinity, 6000]) expect(v.observe("a", "b", bad)).toBe(false);
    expect(v.observe("a", "a", 10)).toBe(false);
    expect(v.observe("a", "zz", 10)).toBe(false);
    expect(v.get("a")).toMatchObject({ x: 0, y: 0, samples: 0 });
    for (let i = 0; i < 4; i++) v.observe("a", "b", 40);
    expect(v.trusted("a")).toBe(false);
    for (let i = 0; i < 30; i++) v.observe("a", "b", 40);
    expect(v.trusted("a")).toBe(true);
    expect(v.predictRttMs("a", "b")).toBeCloseTo(40, 0);
    expect(v.toJSON()).toMatchObject({ nodes: 2, trusted: 2, accepted: 34, rejected: 7 });
  });

  it("is deterministic for a seed", () => {
    const run = () => {
      const v = new VivaldiSpace({ seed: 9 });
      for (const id of ["a", "b", "c"]) v.add(id);
      for (let i = 0; i < 20; i++) {
        v.observe("a", "b", 30);
        v.observe("b", "c", 50);
        v.observe("a", "c", 70);
      }
      return JSON.stringify([v.get("a"), v.get("b"), v.get("c")]);
    };
    expect(run()).toBe(run());
  });
});
