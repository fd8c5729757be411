/**
 * Cities that host public cloud regions (the big providers' region locations, rounded
 * coordinates). Dedicated hubs and central servers are placed only here.
 */
export interface CloudRegion {
  id: string;
  city: string;
  lat: number;
  lon: number;
}

export const CLOUD_REGIONS: readonly CloudRegion[] = [
  { id: "us-east", city: "Ashburn", lat: 39.04, lon: -77.49 },
  { id: "us-central", city: "Columbus", lat: 39.96, lon: -83.0 },
  { id: "us-south", city: "San Antonio", lat: 29.42, lon: -98.49 },
  { id: "us-west", city: "San Jose", lat: 37.34, lon: -121.89 },
  { id: "us-northwest", city: "Portland", lat: 45.52, lon: -122.68 },
  { id: "ca-central", city: "Montreal", lat: 45.5, lon: -73.57 },
  { id: "sa-east", city: "São Paulo", lat: -23.55, lon: -46.63 },
  { id: "eu-ireland", city: "Dublin", lat: 53.35, lon: -6.26 },
  { id: "eu-london", city: "London", lat: 51.51, lon: -0.13 },
  { id: "eu-paris", city: "Paris", lat: 48.86, lon: 2.35 },
  { id: "eu-frankfurt", city: "Frankfurt", lat: 50.11, lon: 8.68 },
  { id: "eu-milan", city: "Milan", lat: 45.46, lon: 9.19 },
  { id: "eu-madrid", city: "Madrid", lat: 40.42, lon: -3.7 },
  { id: "eu-stockholm", city: "Stockholm", lat: 59.33, lon: 18.07 },
  { id: "eu-warsaw", city: "Warsaw", lat: 52.23, lon: 21.01 },
  { id: "me-uae", city: "Dubai", lat: 25.2, lon: 55.27 },
  { id: "af-south", city: "Johannesburg", lat: -26.2, lon: 28.05 },
  { id: "ap-mumbai", city: "Mumbai", lat: 19.08, lon: 72.88 },
  { id: "ap-singapore", city: "Singapore", lat: 1.35, lon: 103.82 },
  { id: "ap-jakarta", city: "Jakarta", lat: -6.21, lon: 106.85 },
  { id: "ap-hongkong", city: "Hong Kong", lat: 22.32, lon: 114.17 },
  { id: "ap-seoul", city: "Seoul", lat: 37.57, lon: 126.98 },
  { id: "ap-tokyo", city: "Tokyo", lat: 35.68, lon: 139.69 },
  { id: "ap-sydney", city: "Sydney", lat: -33.87, lon: 151.21 },
];
