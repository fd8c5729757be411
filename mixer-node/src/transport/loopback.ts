/**
 * Two links wired to each other in one process, for tests, benchmarks and
 * local demos. Signals pass through a JSON round trip, as through the
 * signaling server, so nothing that is not plain JSON can slip through.
 */
import type { PeerLinkOptions } from "./defaults.js";
import { PeerLink } from "./peer-link.js";

export interface LinkPair {
  offerer: PeerLink;
  answerer: PeerLink;
  /** Time from `start()` until both ends reported "connected", ms. */
  setupMs: number;
  close(): Promise<void>;
}

export type PairOptions = Omit<PeerLinkOptions, "role">;

/** Creates, wires and connects two links over loopback; rejects after `timeoutMs`. */
export async function connectLoopbackPair(
  options: {
    offerer?: PairOptions;
    answerer?: PairOptions;
    timeoutMs?: number;
    /** Called with both links before negotiation starts (a setting made before they connect). */
    beforeStart?: (offerer: PeerLink, answerer: PeerLink) => void;
  } = {},
): Promise<LinkPair> {
  const offerer = new PeerLink({ loopbackOnly: true, label: "offerer", ...options.offerer, role: "offerer" });
  const answerer = new PeerLink({ loopbackOnly: true, label: "answerer", ...options.answerer, role: "answerer" });
  offerer.on("signal", (s) => answerer.handleSignal(JSON.parse(JSON.stringify(s))));
  answerer.on("signal", (s) => offerer.handleSignal(JSON.parse(JSON.stringify(s))));
  const close = async () => {
    await Promise.all([offerer.close(), answerer.close()]);
  };
  const connected = (link: PeerLink) =>
    new Promise<void>((resolve, reject) => {
      if (link.state === "connected") return resolve();
      const off = link.on("state", (s) => {
        if (s === "connected") {
          off();
          resolve();
        } else if (s === "failed" || s === "closed") {
          off();
          reject(new Error(`${link.label} went ${s} while connecting`));
        }
      });
    });
  const t0 = performance.now();
  const both = Promise.all([connected(offerer), connected(answerer)]);
  options.beforeStart?.(offerer, answerer);
  offerer.start();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("loopback pair did not connect in time")), options.timeoutMs ?? 10_000);
  });
  try {
    await Promise.race([both, timeout]);
  } catch (err) {
    await close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { offerer, answerer, setupMs: performance.now() - t0, close };
}
