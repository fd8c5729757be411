/**
 * A dedicated hub: a node with no voice that mixes for its children (a volunteer's machine or a
 * data-centre host). `npm run hub -- --url http://127.0.0.1:8080 --room choir --metrics-port 9100`
 */
import { configureLogging } from "@choirmesh/common/log";
import { ChoirNode } from "./runtime/choir-node.js";
import { backendArg, numberArg, parseCli, runNode } from "./runtime/cli-common.js";

const USAGE = `usage: npm run hub -- [--url URL] [--room ROOM] [--name NAME] [--token TOKEN]
                      [--upload-kbps N] [--dedicated] [--metrics-port PORT] [--backend auto|native|fallback]
                      [--loopback] [--lat DEG --lon DEG]`;

configureLogging(process.env.CHOIRMESH_LOG ?? "info");
const v = parseCli({ dedicated: { type: "boolean", default: false } }, USAGE);
const lat = numberArg(v.lat, "lat", USAGE, (n) => n >= -90 && n <= 90);
const lon = numberArg(v.lon, "lon", USAGE, (n) => n >= -180 && n <= 180);
const node = new ChoirNode({
  url: v.url!,
  room: v.room!,
  name: v.name ?? `hub-${process.pid}`,
  token: v.token,
  hasVoice: false,
  canHub: true,
  dedicated: v.dedicated,
  uploadKbps: numberArg(v["upload-kbps"], "upload-kbps", USAGE, (n) => n > 0) ?? 100_000,
  location: lat !== undefined && lon !== undefined ? { lat, lon } : undefined,
  backend: backendArg(v.backend, USAGE),
  link: v.loopback ? { loopbackOnly: true } : undefined,
});
await runNode(node, "hub", numberArg(v["metrics-port"], "metrics-port", USAGE, (n) => Number.isInteger(n) && n >= 0 && n < 65536));
