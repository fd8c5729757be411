/**
 * The simulator's seams to the parts it borrows: the seeded random source (./rng.ts) and the
 * placement of singers on real cities (./geo). Everything else in sim/ imports them from here.
 */
import { Rng } from "./rng.js";

export { Rng };
export { sampleSingers, parseRegion, regionLabel, type Region, type SingerPlace } from "./geo/regions.js";

export function makeRng(seed: number): Rng {
  return new Rng(seed >>> 0);
}
