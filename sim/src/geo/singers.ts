/**
 * Singers for planner runs (benchmarks, tests) at given places: a section each, four in five
 * able to hub, uploads spread log-uniformly from 1 to 20 Mbit/s, all singing.
 */
import type { PlannerNodeInfo } from "@choirmesh/signaling/planner";
import type { Rng } from "../rng.js";
import type { SingerPlace } from "./regions.js";

export const CHOIR_SECTIONS = ["soprano", "alto", "tenor", "bass"] as const;

export function singersAt(places: readonly SingerPlace[], rng: Rng, sections: readonly string[] = CHOIR_SECTIONS): PlannerNodeInfo[] {
  return places.map((p, i) => ({
    id: `s${i}`,
    section: sections[rng.int(sections.length)],
    canHub: rng.next() >= 0.2,
    uploadKbps: 1000 * Math.exp(rng.next() * Math.log(20)),
    hasVoice: true,
    location: { lat: p.lat, lon: p.lon },
  }));
}
