/**
 * Regions to place singers in, and population-weighted sampling of real cities within them:
 * one city, a country (ISO code), Europe, North America, the world, or a custom list of
 * places. A singer's place is a city drawn with probability proportional to its population.
 */
import type { Rng } from "../rng.js";
import { type CityTable, findCity, loadCities } from "./cities.js";

export type CustomPlace =
  | { name: string; country?: string; weight?: number }
  | { lat: number; lon: number; weight?: number; name?: string };

export type Region =
  | { kind: "city"; name: string; country?: string }
  | { kind: "country"; code: string }
  | { kind: "europe" }
  | { kind: "north-america" }
  | { kind: "world" }
  | { kind: "custom"; places: CustomPlace[] };

export interface SingerPlace {
  lat: number;
  lon: number;
  city: string;
  country: string;
}

/** Europe by country; Russia only west of the Urals (60 deg E); Turkey and the Caucasus left out. */
export const EUROPE_COUNTRIES: ReadonlySet<string> = new Set(
  ("AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV " +
    "MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK").split(" "),
);
const EUROPE_RU_MAX_LON = 60;

/** North America: Canada, the United States, Mexico, Central America and the Caribbean. */
export const NORTH_AMERICA_COUNTRIES: ReadonlySet<string> = new Set(
  ("US CA MX GT BZ SV HN NI CR PA CU DO HT JM PR BS BB TT AG DM GD KN LC VC KY TC VG VI AW CW BM GP MQ").split(" "),
);

/**
 * "europe", "north-america", "world", "country:DE" (or just "DE"), "city:Paris" or
 * "city:Paris,FR", "custom:Paris,FR;Berlin,DE;48.2/16.37" (named cities weighted by
 * population, coordinates by 1 unless "=weight" follows: "Paris,FR=3").
 */
export function parseRegion(spec: string): Region {
  const s = spec.trim();
  const low = s.toLowerCase();
  if (low === "europe") return { kind: "europe" };
  if (low === "north-america" || low === "northamerica" || low === "na") return { kind: "north-america" };
  if (low === "world") return { kind: "world" };
  if (/^[A-Za-z]{2}$/.test(s)) return { kind: "country", code: s.toUpperCase() };
  if (low.startsWith("country:")) return { kind: "country", code: s.slice(8).trim().toUpperCase() };
  if (low.startsWith("city:")) {
    const [name, country] = s.slice(5).split(",").map((x) => x.trim());
    return country ? { kind: "city", name, country } : { kind: "city", name };
  }
  if (low.startsWith("custom:")) {
    const places: CustomPlace[] = s
      .slice(7)
      .split(";")
      .filter((p) => p.trim() !== "")
      .map((p) => {
        const [body, w] = p.split("=");
        const weight = w !== undefined ? Number(w) : undefined;
        const coords = /^\s*(-?[\d.]+)\s*\/\s*(-?[\d.]+)\s*$/.exec(body);
        if (coords) return { lat: Number(coords[1]), lon: Number(coords[2]), weight };
        const [name, country] = body.split(",").map((x) => x.trim());
        return { name, country, weight };
      });
    return { kind: "custom", places };
  }
  throw new Error(`unknown region "${spec}" (europe, north-america, world, country:XX, city:Name[,XX], custom:...)`);
}

export function regionLabel(r: Region): string {
  switch (r.kind) {
    case "city":
      return r.country ? `city:${r.name},${r.country}` : `city:${r.name}`;
    case "country":
      return `country:${r.code}`;
    case "custom":
      return "custom";
    default:
      return r.kind;
  }
}

interface Pool {
  lat: Float64Array;
  lon: Float64Array;
  city: string[];
  country: string[];
  /** Cumulative weights, for binary-search sampling. */
  cum: Float64Array;
}

const pools = new Map<string, Pool>();

function poolFromIndices(t: CityTable, idx: number[], weightOf: (i: number) => number): Pool {
  const n = idx.length;
  const pool: Pool = { lat: new Float64Array(n), lon: new Float64Array(n), city: [], country: [], cum: new Float64Array(n) };
  let acc = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    pool.lat[k] = t.lat[i];
    pool.lon[k] = t.lon[i];
    pool.city.push(t.name[i]);
    pool.country.push(t.country[i]);
    acc += Math.max(0, weightOf(i));
    pool.cum[k] = acc;
  }
  return pool;
}

function buildPool(r: Region): Pool {
  const t = loadCities();
  const pop = (i: number) => t.population[i];
  const pick = (keep: (i: number) => boolean): number[] => {
    const out: number[] = [];
    for (let i = 0; i < t.count; i++) if (keep(i)) out.push(i);
    return out;
  };
  switch (r.kind) {
    case "world":
      return poolFromIndices(t, pick(() => true), pop);
    case "europe":
      return poolFromIndices(
        t,
        pick((i) => EUROPE_COUNTRIES.has(t.country[i]) && (t.country[i] !== "RU" || t.lon[i] <= EUROPE_RU_MAX_LON)),
        pop,
      );
    case "north-america":
      return poolFromIndices(t, pick((i) => NORTH_AMERICA_COUNTRIES.has(t.country[i])), pop);
    case "country":
      return poolFromIndices(t, pick((i) => t.country[i] === r.code), pop);
    case "city": {
      const i = findCity(t, r.name, r.country);
      if (i < 0) throw new Error(`no city named "${r.name}"${r.country ? ` in ${r.country}` : ""}`);
      return poolFromIndices(t, [i], () => 1);
    }
    case "custom": {
      const n = r.places.length;
      const pool: Pool = { lat: new Float64Array(n), lon: new Float64Array(n), city: [], country: [], cum: new Float64Array(n) };
      let acc = 0;
      r.places.forEach((p, k) => {
        let w: number;
        if ("lat" in p) {
          pool.lat[k] = p.lat;
          pool.lon[k] = p.lon;
          pool.city.push(p.name ?? `${p.lat},${p.lon}`);
          pool.country.push("");
          w = p.weight ?? 1;
        } else {
          const i = findCity(t, p.name, p.country);
          if (i < 0) throw new Error(`no city named "${p.name}"${p.country ? ` in ${p.country}` : ""}`);
          pool.lat[k] = t.lat[i];
          pool.lon[k] = t.lon[i];
          pool.city.push(t.name[i]);
          pool.country.push(t.country[i]);
          w = p.weight ?? t.population[i];
        }
        acc += Math.max(0, w);
        pool.cum[k] = acc;
      });
      return pool;
    }
  }
}

function poolFor(r: Region): Pool {
  const key = JSON.stringify(r);
  let p = pools.get(key);
  if (!p) {
    p = buildPool(r);
    if (p.cum.length === 0 || p.cum[p.cum.length - 1] <= 0) throw new Error(`region ${regionLabel(r)} has no places`);
    pools.set(key, p);
  }
  return p;
}

/** n singers' places in the region, each a real city drawn with probability proportional to its weight. */
export function sampleSingers(region: Region | string, n: number, rng: Rng): SingerPlace[] {
  const pool = poolFor(typeof region === "string" ? parseRegion(region) : region);
  const total = pool.cum[pool.cum.length - 1];
  const out: SingerPlace[] = new Array(n);
  for (let s = 0; s < n; s++) {
    const x = rng.next() * total;
    let lo = 0;
    let hi = pool.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pool.cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    out[s] = { lat: pool.lat[lo], lon: pool.lon[lo], city: pool.city[lo], country: pool.country[lo] };
  }
  return out;
}

/** Number of distinct places a region draws from. */
export function regionPlaceCount(region: Region | string): number {
  return poolFor(typeof region === "string" ? parseRegion(region) : region).cum.length;
}
