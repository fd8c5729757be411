import { describe, expect, it } from "vitest";
import { quantile, quantileSorted, summarizeDelays, summarizeValues } from "@choirmesh/common/quantiles";
import { neighbourPairs, samplePairs, sectionPairs } from "@choirmesh/sim/metrics/pairs";
import { pairDelays } from "@choirmesh/sim/metrics/evaluate";
import type { Topology } from "@choirmesh/sim/topologies/types";
import { makeRng } from "@choirmesh/sim/ports";
import { lonForKm, singer } from "./fixtures.js";

describe("quantiles", () => {
  it("interpolate between closest ranks", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([10], 0.99)).toBe(10);
    const hundred = Array.from({ length: 101 }, (_, i) => 100 - i);
    expect(quantile(hundred, 0.95)).toBe(95);
    expect(quantile(hundred, 0.99)).toBe(99);
    expect(quantile(hundred, 0)).toBe(0);
    expect(quantile(hundred, 1)).toBe(100);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it("summarise delays: quantiles over heard pairs, shares under thresholds over all pairs", () => {
    const s = summarizeDelays([10, 20, 25, 30, 40, Infinity, 60, 70, 80, 90], [25, 30, 50]);
    expect(s.n).toBe(10);
    expect(s.heardShare).toBe(0.9);
    expect(s.p50).toBe(40);
    expect(s.max).toBe(90);
    expect(s.under).toEqual({ "25": 0.2, "30": 0.3, "50": 0.5 }); // strictly under
    expect(s.mean).toBeCloseTo(425 / 9, 12);
  });

  it("summarise values", () => {
    expect(summarizeValues([3, 1, 2])).toEqual({ p50: 2, p95: 2.9, max: 3, mean: 2 });
  });
});

describe("pairs", () => {
  it("samples distinct pairs, deterministically per seed", () => {
    const p = samplePairs(5, 1000, makeRng(1));
    for (let k = 0; k < 1000; k++) expect(p[2 * k]).not.toBe(p[2 * k + 1]);
    expect(Array.from(samplePairs(5, 50, makeRng(1)))).toEqual(Array.from(p.subarray(0, 100)));
    expect(Array.from(samplePairs(5, 50, makeRng(2)))).not.toEqual(Array.from(p.subarray(0, 100)));
  });

  it("takes each singer's nearest singers, same city first", () => {
    // 0..2 at lon 0, 3..5 at 100 km, 6..9 at 3,000 km.
    const s = [0, 0, 0, 100, 100, 100, 3000, 3000, 3000, 3000].map((km, i) => singer(i, lonForKm(km), 3));
    const pairs = neighbourPairs(s, 5, 1, makeRng(4));
    expect(pairs.length).toBe(10);
    const a = pairs[0];
    const got = Array.from({ length: 5 }, (_, k) => pairs[2 * k + 1]).sort((x, y) => x - y);
    const near = a < 3 ? [0, 1, 2, 3, 4, 5] : a < 6 ? [0, 1, 2, 3, 4, 5] : [6, 7, 8, 9];
    if (a < 6) expect(got).toEqual(near.filter((x) => x !== a));
    else {
      // Three city-mates first, then two from 100 km.
      expect(got.filter((x) => x >= 6)).toEqual([6, 7, 8, 9].filter((x) => x !== a));
      expect(got.filter((x) => x >= 3 && x < 6).length).toBe(2);
    }
    // The same city's singers come before any other, for every query.
    const all = neighbourPairs(s, 2, 10, makeRng(5));
    for (let k = 0; k < all.length; k += 2) {
      const [x, y] = [all[k], all[k + 1]];
      expect(s[x].lon).toBe(s[y].lon);
    }
  });

  it("pairs section-mates only", () => {
    const s = Array.from({ length: 40 }, (_, i) => singer(i, 0, 3, { section: i % 3 === 0 ? "bass" : "alto" }));
    const p = sectionPairs(s, 500, makeRng(9));
    expect(p.length).toBe(1000);
    for (let k = 0; k < p.length; k += 2) {
      expect(s[p[k]].section).toBe(s[p[k + 1]].section);
      expect(p[k]).not.toBe(p[k + 1]);
    }
  });

  it("takes the slower direction of a pair, or the only one heard", () => {
    const t = { pairDelayMs: (a: number, b: number) => (a === 0 ? 10 : b === 0 ? 12 : a < b ? 5 : Infinity) } as unknown as Topology;
    expect(Array.from(pairDelays(t, Int32Array.from([0, 1, 1, 2, 2, 1])))).toEqual([12, 5, 5]);
  });
});
