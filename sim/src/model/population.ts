/**
 * The choir: singers on real cities, each with a home connection drawn from the stated
 * distributions in ./defaults.ts.
 */
import { type Rng, sampleSingers } from "../ports.js";
import { POPULATION_DEFAULTS } from "./defaults.js";
import type { EngineTiming } from "./engine-timing.js";
import { toUnitVec, type UnitVec } from "@choirmesh/signaling/latency";

/** A singer; also a link end for the delay model (id, place, access delay). */
export interface Singer {
  /** Index in the population; ids are `s<index>`. */
  idx: number;
  id: string;
  lat: number;
  lon: number;
  /** Place on the unit sphere. */
  pos: UnitVec;
  city: string;
  country: string;
  /** Drawn one-way access delay of the home connection (ms). */
  rawAccessMs: number;
  /** One-way jitter (standard deviation, ms). */
  jitterMs: number;
  /**
   * What the model charges each time a stream crosses this home connection: the access delay
   * plus whatever jitter the engine's buffer depth does not already cover.
   */
  accessMs: number;
  uploadKbps: number;
  section: string;
}

export function normal(rng: Rng): number {
  // Box-Muller; 1 - u keeps log() away from 0.
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function lognormal(rng: Rng, median: number, logSd: number): number {
  return median * Math.exp(logSd * normal(rng));
}

function pickShare<T>(rng: Rng, items: ReadonlyArray<readonly [T, ...unknown[]]>, shareAt: number): T {
  const x = rng.next();
  let acc = 0;
  for (const it of items) {
    acc += it[shareAt] as number;
    if (x < acc) return it[0];
  }
  return items[items.length - 1][0];
}

export function drawUploadKbps(rng: Rng): number {
  const mix = POPULATION_DEFAULTS.uploadMix;
  const x = rng.next();
  let acc = 0;
  let band = mix[mix.length - 1];
  for (const b of mix) {
    acc += b[0];
    if (x < acc) {
      band = b;
      break;
    }
  }
  const [, lo, hi] = band;
  return Math.round(lo * Math.pow(hi / lo, rng.next()));
}

export function effectiveAccessMs(rawAccessMs: number, jitterMs: number, timing: EngineTiming): number {
  const excess = POPULATION_DEFAULTS.jitterCoverSd * jitterMs - timing.jitterBufferMs;
  return rawAccessMs + Math.max(0, excess);
}

export function makePopulation(region: string, n: number, rng: Rng, timing: EngineTiming): Singer[] {
  const placed = sampleSingers(region, n, rng);
  const d = POPULATION_DEFAULTS;
  const out: Singer[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = placed[i];
    const rawAccessMs = Math.min(d.accessMaxMs, Math.max(d.accessMinMs, lognormal(rng, d.accessMedianMs, d.accessLogSd)));
    const jitterMs = lognormal(rng, d.jitterMedianMs, d.jitterLogSd);
    const uploadKbps = drawUploadKbps(rng);
    const section = pickShare(rng, d.sections, 1);
    out[i] = {
      idx: i,
      id: `s${i}`,
      lat: p.lat,
      lon: p.lon,
      pos: toUnitVec(p),
      city: p.city,
      country: p.country,
      rawAccessMs,
      jitterMs,
      accessMs: effectiveAccessMs(rawAccessMs, jitterMs, timing),
      uploadKbps,
      section,
    };
  }
  return out;
}
