import { DEFAULT_PLANNER_OPTIONS } from "@choirmesh/signaling/planner/defaults";

/**
 * The simulator's stated assumptions, in one place. Every distribution is drawn from the run's
 * seeded random source, so the same seed gives the same choir.
 */
export const POPULATION_DEFAULTS = {
  /**
   * One-way access delay of a home connection (ms): lognormal with this median and log-sd,
   * clamped. Median 4 ms, p90 ~7.6 ms: fibre and cable at the low end, DSL and mobile in the tail.
   */
  accessMedianMs: 4,
  accessLogSd: 0.5,
  accessMinMs: 1,
  accessMaxMs: 40,
  /** One-way jitter (standard deviation, ms) of a home connection: lognormal, median 1 ms. */
  jitterMedianMs: 1,
  jitterLogSd: 0.7,
  /**
   * What a jitter buffer must cover, in standard deviations of a connection's jitter: its target
   * is the 99th percentile of lateness (jitter-buffer.ts), and queueing jitter is one-sided
   * (exponential: p99 = ln 100 = 4.6 sd, as the emulator draws it). Whatever exceeds the depth the
   * engine's hop already holds is paid as extra delay each time a stream crosses that connection.
   */
  jitterCoverSd: 4.6,
  /**
   * Upload capacity (kbit/s): a mix of connection kinds, log-uniform within each.
   * [share, min, max]: DSL/mobile 1–10 Mbit/s, cable 10–50, fibre 50–1000.
   */
  uploadMix: [
    [0.3, 1_000, 10_000],
    [0.4, 10_000, 50_000],
    [0.3, 50_000, 1_000_000],
  ] as ReadonlyArray<readonly [number, number, number]>,
  /** Sections and their shares in a mixed choir. */
  sections: [
    ["soprano", 0.3],
    ["alto", 0.3],
    ["tenor", 0.2],
    ["bass", 0.2],
  ] as ReadonlyArray<readonly [string, number]>,
} as const;

export const NETWORK_DEFAULTS = {
  /** Real routes are about 2.1x the great-circle distance; light in fibre ~200 km per ms. */
  routeFactor: 2.1,
  kmPerMs: 200,
  /** A dedicated hub in a data centre: next to no access delay. */
  dataCentreAccessMs: DEFAULT_PLANNER_OPTIONS.dedicatedAccessMs,
  /** Upload of a dedicated hub (kbit/s): a 10 Gbit/s port. */
  dataCentreUploadKbps: 10_000_000,
  /**
   * Packet loss of a home connection, per crossing (%): a clean residential line. Only the
   * emulated runs lose packets; a data centre's connection loses none.
   */
  homeLossPct: 0.1,
} as const;

export const TOPOLOGY_DEFAULTS = {
  /** Hybrid: one dedicated hub per this many singers, spread over the cloud regions in use. */
  singersPerDedicatedHub: 100,
  /** A cloud region gets hubs only when it is the nearest region of at least this share of singers. */
  minRegionShare: 0.01,
  /**
   * Bucket Brigade: singers sit in a few buckets, each a fixed song-time offset after the last;
   * most join the last bucket (as in its large events). Same-bucket singers never hear each other.
   */
  chainBucketSpacingMs: 3_000,
  chainBucketShares: [0.05, 0.1, 0.15, 0.7] as readonly number[],
} as const;

export const METRIC_DEFAULTS = {
  /** Uniformly sampled pairs for the all-pairs figures. */
  pairs: 20_000,
  /** Singers whose nearest neighbours are measured, and how many neighbours each. */
  neighbourSingers: 2_000,
  neighbours: 5,
  /** Sampled pairs of the same section. */
  sectionPairs: 20_000,
  thresholdsMs: [25, 30, 50] as readonly number[],
} as const;

export const CHURN_DEFAULTS = {
  /** Simulated seconds of churn after the choir is built. */
  durationS: 60,
  /** Mean time a singer stays (s): leaves are Poisson at n / meanStayS per second, joins alike. */
  meanStayS: 1_800,
  /**
   * Repair of a cut-off node (issue-5 targets: 500 ms median, 1.5 s max): detection by media
   * silence, then a new link to the pre-announced backup parent. `connectMs` is the measured
   * werift connection setup across processes (`npm run bench:transport`), plus two network round trips.
   */
  detectMs: 200,
  connectMs: 230,
  /** When the planner re-parents elsewhere than the backup, the node also waits for the server. */
  serverDecisionMs: 50,
} as const;
