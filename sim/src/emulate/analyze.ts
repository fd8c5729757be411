/**
 * Delays from the audio: each listener's recording is searched for each singer's signature voice
 * with mixer-node's estimateDelay. The pair's delay as the model defines it (endpoints left out)
 * is then the heard delay less the sender's encoder look-ahead and processing and the receiver's own
 * play-out wait on the input that carried the voice.
 */
import { estimateDelay, type DelayEstimate } from "@choirmesh/mixer-node/signature";
import type { EmuPlan, Recording } from "./choir.js";
import { EMULATE_DEFAULTS } from "./defaults.js";

export interface PairMeasure {
  from: number;
  to: number;
  /** Mouth-to-ear delay found in the listener's recording (ms). */
  heardMs: number;
  correlation: number;
  heard: boolean;
  /** The receiver's play-out delay on the input that carried the voice (ms). */
  receiverPlayoutMs: number;
  /** heardMs less the sender's look-ahead and processing and the receiver's play-out: the path as the model prices it. */
  pathMs: number;
}

export interface AnalyzeOptions {
  voiceAmplitude?: number;
  maxDelayMs?: number;
  minCorrelation?: number;
  /** The sender's Opus look-ahead (ms). */
  lookaheadMs: number;
  /** The sender's processing before its packet leaves (ms). */
  senderMs?: number;
}

/** The input of `to` that carries the voice of `from`: the child whose subtree holds it, else the parent. */
export function inputCarrying(plan: EmuPlan, from: number, to: number): "parent" | number {
  for (let x = from; x >= 0; x = plan.nodes[x].parent) if (plan.nodes[x].parent === to) return x;
  return "parent";
}

export function measurePair(plan: EmuPlan, rec: Recording, from: number, to: number, opts: AnalyzeOptions): PairMeasure {
  const voice = plan.nodes[from].voice;
  if (voice === null) throw new RangeError(`node ${plan.nodes[from].id} sings no signature`);
  const est = findVoice(rec, voice, opts);
  const playout = rec.playoutMs.get(inputCarrying(plan, from, to)) ?? NaN;
  return {
    from,
    to,
    heardMs: est.delayMs,
    correlation: est.correlation,
    heard: est.heard,
    receiverPlayoutMs: playout,
    pathMs: est.delayMs - opts.lookaheadMs - (opts.senderMs ?? 0) - playout,
  };
}

/**
 * estimateDelay over the whole search window costs ~25 ms per pair on a 2 s recording; a coarse
 * search on the first part of the recording, then the whole recording within a few ms of it,
 * costs about half. Where the narrow search does not clearly hear the voice (a wrong coarse
 * peak, or a voice truly not heard), the whole window is searched on the whole recording.
 */
export function findVoice(rec: Recording, voice: number, opts: AnalyzeOptions): DelayEstimate {
  const base = {
    amplitude: opts.voiceAmplitude ?? EMULATE_DEFAULTS.voiceAmplitude,
    minCorrelation: opts.minCorrelation ?? EMULATE_DEFAULTS.minCorrelation,
  };
  const maxDelayMs = opts.maxDelayMs ?? EMULATE_DEFAULTS.maxDelayMs;
  const coarseSamples = Math.round(EMULATE_DEFAULTS.coarseS * 48_000);
  if (rec.hear.length > 2 * coarseSamples) {
    const coarse = estimateDelay(rec.hear.subarray(0, coarseSamples), rec.startAbs, voice, { ...base, maxDelayMs });
    if (coarse.heard) {
      const w = EMULATE_DEFAULTS.fineWindowMs;
      const fine = estimateDelay(rec.hear, rec.startAbs, voice, {
        ...base,
        minDelayMs: Math.max(0, coarse.delayMs - w),
        maxDelayMs: Math.min(maxDelayMs, coarse.delayMs + w),
      });
      // A best lag on the window's edge means the peak lies outside it.
      const inside = fine.delayMs > Math.max(0, coarse.delayMs - w) + 1 && fine.delayMs < Math.min(maxDelayMs, coarse.delayMs + w) - 1;
      if (fine.heard && inside) return fine;
    }
  }
  return estimateDelay(rec.hear, rec.startAbs, voice, { ...base, maxDelayMs });
}
