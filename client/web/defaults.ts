/**
 * Options of the browser singer with their defaults, in one place.
 */

export interface WebSingerOptions {
  /** Upload reported to the planner, kbit/s. The browser singer is a leaf: it never mixes. */
  uploadKbps: number;
  /** Echo cancellation, noise suppression and auto gain: off for singing (they eat sustained tones). */
  voiceProcessing: boolean;
  /** How often the room's tree is fetched for the tree view, ms. */
  treePollMs: number;
  /** How often WebRTC stats (RTT to the parent) are read, ms. */
  statsPollMs: number;
  /** How often measured RTTs go to the server (planner estimates), ms; 0 = never. */
  rttReportMs: number;
  /** Input meter refresh, ms. */
  meterMs: number;
  /** A link to the parent that is not connected within this time is given up and retried, ms. */
  connectTimeoutMs: number;
  /**
   * After the parent closed our link, how long to wait for the server's tree-update before
   * rejoining on our own, ms.
   */
  orphanTimeoutMs: number;
  /** Analysis of what the singer hears: FFT size of the AnalyserNode and how often it is read. */
  analysis: { fftSize: number; pollMs: number };
  /**
   * Audio tracks asked for beyond the parent's own (docs/design.md, "The cheap hop"): one per
   * level above the parent whose stream the parent forwards unchanged; deeper levels are not heard.
   */
  forwardedTracks: number;
}

export const WEB_DEFAULTS: Readonly<WebSingerOptions> = Object.freeze({
  uploadKbps: 128,
  voiceProcessing: false,
  treePollMs: 1000,
  statsPollMs: 1000,
  rttReportMs: 2000,
  meterMs: 50,
  connectTimeoutMs: 10_000,
  orphanTimeoutMs: 6000,
  analysis: Object.freeze({ fftSize: 8192, pollMs: 100 }),
  forwardedTracks: 4,
});

/**
 * Opus frame sizes a browser's WebRTC encoder can send. Rooms at 2.5 or 5 ms get 10 ms from a
 * browser; its hub buffers and decodes them at their own length and plays each as two or four of
 * its frames (mixer-node/src/long-frames.ts).
 */
export const BROWSER_OPUS_FRAME_MS = [10, 20, 40, 60] as const;
