/**
 * Defaults of self-healing (failure detection, link repair, re-parenting, signaling resume), in
 * one place. docs/lifecycle.md explains how they fit together.
 */
import { SIGNALING_RETRY } from "@choirmesh/protocol";

export const HEALING_DEFAULTS = {
  /**
   * A link that has carried media is "stalled" after this long without a packet, and reported
   * (`link-lost` without `move`: the server removes the peer if its socket is gone too). Every
   * node sends a frame on every link each tick (silence is encoded too), so a quiet link means a
   * dead peer or a cut path: 12 frames at 10 ms, well past the loss bursts of a 10 %-loss link
   * (12 losses in a row: 1e-12). A false report costs nothing: a live peer keeps its place.
   */
  silenceMs: 120,
  /**
   * A stalled parent link is reported to the server (`link-lost` with `move`) after this long:
   * the server then moves this node, with its subtree, to its backup parent. ICE restarts run
   * before and meanwhile; a link that comes back in time keeps the node where it is. On a loaded
   * 2-core machine running 13 node processes, senders stalled for up to ~350 ms without any
   * fault (a shorter limit moved healthy nodes); a real cut is healed in about this long plus
   * ~50 ms (the standby link is already up).
   */
  reparentAfterMs: 500,
  /** How often links are checked, ms (a timer, not the tick path). */
  checkEveryMs: 20,
  /**
   * After this node's own event loop stalled (the check timer ran 3 periods late), no move is
   * requested for this long: a starved process hears silence everywhere, and moving it would
   * not help (it did, under load 15 on 2 cores, pile nodes six levels deep).
   */
  selfStallHoldMs: 2000,
  /** Keep a connected, media-less link to the backup parent, so that failover needs no setup. */
  warmStandby: true,
  /**
   * A new standby link is set up this long (uniformly random in the range, ms) after the backup
   * changed: a failover or a rebuilt room changes many nodes' backups at once, and link setups all
   * at once (each one a DTLS handshake) stall loaded processes enough to skip ticks.
   */
  standbyDelayMs: [1000, 3000] as readonly [number, number],
  /**
   * Moves other than a failover to the standby are made before they are broken (node-links.ts):
   * the old parent keeps carrying the audio until the new parent's first packet arrives.
   */
  makeBeforeBreak: true,
  /**
   * The switch happens once the new parent's packets have flowed this long (ms), warming the
   * engine's prepared stream meanwhile: a new link's first packets come in a burst (its set-up
   * stalls the process), and the jitter buffer needs a few frames to drain it; the old parent
   * plays on meanwhile.
   */
  switchSettleMs: 100,
  /** A switch waits at most this long for the new parent's media (ms); then the old link goes anyway. */
  switchTimeoutMs: 4000,
  /** A hub keeps a child the server moved away at most this long (ms), unless the child closes the link first. */
  departingMs: 6000,
  /**
   * A hub that leaves keeps mixing for its children until they have switched to their new
   * parents (each closes its link), for at most this long (ms); 0 closes everything at once.
   */
  leaveHandoverMs: 1500,
  /** At most this many standby links a node answers for others (beyond: ordinary pending signals). */
  maxStandbyPeers: 32,
  /** ICE restarts of a stalled parent link: after 250 ms more of silence, then backing off; give up after 10 s. */
  iceRetry: {
    delaysMs: [250, 500, 1000, 2000],
    jitter: 0.2,
    maxElapsedMs: 10_000,
    maxAttempts: Infinity,
    fatalCodes: [] as readonly string[],
  },
  /**
   * Reconnecting to the signaling server: audio keeps flowing meanwhile, so retry soon (a
   * restart takes well under a second) and keep trying, slower, for ten minutes. The wide
   * jitter spreads a room's attempts: every node loses the server at the same instant, and
   * thirteen first attempts within 25 ms of each other (50 ms ± 25 %) made every node on a
   * shared 2-core machine tick 15-25 ms late, which cost some listeners a frame or two.
   */
  /** Reconnecting to the signaling server: the protocol's table and fatal list. */
  signalingRetry: SIGNALING_RETRY,
} as const;

export interface HealingOptions {
  silenceMs?: number;
  reparentAfterMs?: number;
  checkEveryMs?: number;
  selfStallHoldMs?: number;
  warmStandby?: boolean;
  standbyDelayMs?: readonly [number, number];
  maxStandbyPeers?: number;
  makeBeforeBreak?: boolean;
  switchSettleMs?: number;
  switchTimeoutMs?: number;
  departingMs?: number;
  leaveHandoverMs?: number;
}
