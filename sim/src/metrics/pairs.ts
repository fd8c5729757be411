/**
 * Which pairs of singers are measured: uniformly sampled pairs, each sampled singer's nearest
 * neighbours, and pairs from the same section. Pairs are flat [a0, b0, a1, b1, ...] indices.
 */
import type { Rng } from "../ports.js";
import type { Singer } from "../model/population.js";

export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng.next() * n);
}

/** `count` pairs of distinct singers, uniformly at random (with replacement across pairs). */
export function samplePairs(n: number, count: number, rng: Rng): Int32Array {
  if (n < 2) return new Int32Array(0);
  const out = new Int32Array(count * 2);
  for (let k = 0; k < count; k++) {
    const a = randomInt(rng, n);
    let b = randomInt(rng, n - 1);
    if (b >= a) b++;
    out[2 * k] = a;
    out[2 * k + 1] = b;
  }
  return out;
}

/** Pairs of distinct singers of the same section (a random singer, then a random section-mate). */
export function sectionPairs(singers: readonly Singer[], count: number, rng: Rng): Int32Array {
  const bySection = new Map<string, number[]>();
  for (const s of singers) {
    let l = bySection.get(s.section);
    if (!l) bySection.set(s.section, (l = []));
    l.push(s.idx);
  }
  const out: number[] = [];
  let guard = count * 20;
  while (out.length < count * 2 && guard-- > 0) {
    const a = singers[randomInt(rng, singers.length)];
    const mates = bySection.get(a.section)!;
    if (mates.length < 2) continue;
    const b = mates[randomInt(rng, mates.length)];
    if (b !== a.idx) out.push(a.idx, b);
  }
  return Int32Array.from(out);
}

/** Distinct random indices in [0, n), `m` of them (all of them when m >= n), in draw order. */
export function sampleDistinct(n: number, m: number, rng: Rng): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  const take = Math.min(n, m);
  for (let i = 0; i < take; i++) {
    const j = i + randomInt(rng, n - i);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, take);
}

/**
 * For `m` random singers, their `k` nearest other singers by great-circle distance. Singers
 * sharing a city are equally near: which of them are taken is drawn at random.
 */
/** Singers stand on cities: the distinct places, their members (by index) and each singer's place. */
export function groupByPlace(singers: readonly Singer[]): { members: number[][]; pos: Singer["pos"][]; placeOf: Int32Array } {
  const index = new Map<string, number>();
  const members: number[][] = [];
  const pos: Singer["pos"][] = [];
  const placeOf = new Int32Array(singers.length);
  for (const s of singers) {
    const key = `${s.lat},${s.lon}`;
    let p = index.get(key);
    if (p === undefined) {
      p = members.length;
      index.set(key, p);
      members.push([]);
      pos.push(s.pos);
    }
    members[p].push(s.idx);
    placeOf[s.idx] = p;
  }
  return { members, pos, placeOf };
}

export function neighbourPairs(singers: readonly Singer[], k: number, m: number, rng: Rng): Int32Array {
  // Singers stand on cities, so search over distinct places, not singers.
  const { members, pos, placeOf: singerPlace } = groupByPlace(singers);
  const L = members.length;
  const X = Float64Array.from(pos, (v) => v.x);
  const Y = Float64Array.from(pos, (v) => v.y);
  const Z = Float64Array.from(pos, (v) => v.z);
  // k + 1 nearest places always hold at least k singers besides the query.
  const keep = k + 1;
  const bestP = new Int32Array(keep);
  const bestD = new Float64Array(keep);
  const out: number[] = [];
  for (const a of sampleDistinct(singers.length, m, rng)) {
    const pa = singerPlace[a];
    const ax = X[pa];
    const ay = Y[pa];
    const az = Z[pa];
    let filled = 0;
    for (let p = 0; p < L; p++) {
      const d = ax * X[p] + ay * Y[p] + az * Z[p];
      if (filled < keep) {
        let j = filled++;
        while (j > 0 && (bestD[j - 1] < d || (bestD[j - 1] === d && bestP[j - 1] > p))) {
          bestD[j] = bestD[j - 1];
          bestP[j] = bestP[j - 1];
          j--;
        }
        bestD[j] = d;
        bestP[j] = p;
      } else if (d > bestD[keep - 1]) {
        let j = keep - 1;
        while (j > 0 && bestD[j - 1] < d) {
          bestD[j] = bestD[j - 1];
          bestP[j] = bestP[j - 1];
          j--;
        }
        bestD[j] = d;
        bestP[j] = p;
      }
    }
    // The query's own place is nearest (distance 0), whatever rounding says.
    let got = 0;
    const order = [pa, ...Array.from(bestP.subarray(0, filled)).filter((p) => p !== pa)];
    for (const p of order) {
      const mem = members[p];
      const start = randomInt(rng, mem.length);
      for (let j = 0; j < mem.length && got < k; j++) {
        const b = mem[(start + j) % mem.length];
        if (b === a) continue;
        out.push(a, b);
        got++;
      }
      if (got >= k) break;
    }
  }
  return Int32Array.from(out);
}
