/**
 * A node's frame loop: the tick on the TickClock (read what waits on the links, render the
 * voice, HubEngine.tick, align the ticks to the parent's) and, on the forwarded path, the hear
 * phase after it (read the parent's link again, HubEngine.hear, record what the singer heard):
 * docs/design.md, "The cheap hop". No allocation, logging or await per frame.
 */
import type { HubEngine } from "../hub-engine.js";
import { TickClock } from "../tick-clock.js";
import { INCIDENT, TARGET_NODE, type Timeline } from "../timeline.js";
import { NODE_DEFAULTS } from "./defaults.js";
import { HearPhase } from "./hear-phase.js";
import type { NodeLinks } from "./node-links.js";
import type { Recorder } from "./recorder.js";
import type { VoiceSource } from "./choir-node-types.js";
import { NodeAlignment } from "./tick-aligner.js";

/** What the loop reads and moves on its node (a ChoirNode). */
export interface LoopHost {
  /** Absolute sample index of tick 0's frame, and the samples the alignment moved frames by. */
  absOrigin: number;
  absShift: number;
  readonly recorder: Recorder | null;
  readonly timeline: Timeline;
}

export interface LoopHooks {
  /** Judges the links every `healEveryMs` (on the tick: no timer of its own). */
  healEveryMs: number;
  healTick(nowMs: number): void;
  problem(where: string, message: string): void;
}

export interface NodeLoop {
  clock: TickClock;
  alignment: NodeAlignment | null;
  hear: HearPhase | null;
}

export function startNodeLoop(host: LoopHost, hooks: LoopHooks, engine: HubEngine, links: NodeLinks, voice: VoiceSource | null): NodeLoop {
  const frameMs = engine.frameMs;
  const frameSamples = engine.frameSamples;
  const voiceIn = engine.voiceIn;
  let lastTick = -1;
  const healEvery = Math.max(1, Math.round(hooks.healEveryMs / frameMs));
  let healTicks = 0;
  const hasVoice = voice !== null;
  const alignment = engine.downPath === "forward" ? new NodeAlignment(frameMs) : null;
  const phase = engine.hearPhase ? new HearPhase(frameMs) : null;
  // The hear after tick k: when it is planned, and its frame's place on the absolute clock.
  let hearAt = 0;
  let hearAbs = 0;
  let hearTimer: NodeJS.Timeout | null = null;
  let hearParent: unknown = null;
  const hear = (): void => {
    hearTimer = null;
    // Its planned time, as a tick runs at its deadline: a timer that fires late (a busy core)
    // makes the streams look no longer held than they are. A hear run early by the next tick: now.
    const now = Math.min(performance.now(), hearAt);
    links.parent?.link.drain();
    links.incoming?.link.drain();
    // Direct peers are heard here too (HubEngine.pullPeers): what came since the tick.
    links.host.afterDrain?.();
    engine.hear(now, phase?.takeFrames() ?? 0);
    if (phase !== null) {
      const streams = engine.parentStreams;
      if (streams !== hearParent) {
        hearParent = streams;
        phase.reset();
      }
      engine.hearSlacks(phase.slacks, phase.hops);
      phase.observe(now);
    }
    host.recorder?.write(hearAbs, engine.hearOut, null);
  };
  const clock = new TickClock(
    {
      periodMs: frameMs,
      maxCatchUpTicks: Math.max(1, Math.ceil(NODE_DEFAULTS.catchUpMs / frameMs)),
      deferLateMs: frameMs / 2,
      onError: (err) => hooks.problem("tick", (err as Error)?.message ?? String(err)),
      // A stall of a frame or more: every stream this node sends is late by as much.
      onLate: (late, _due, now) => {
        if (late >= frameMs) host.timeline.add(INCIDENT.tickLate, TARGET_NODE, now, late);
      },
    },
    (k: number, deadline: number) => {
      // The hear of the tick before, when its timer has not run yet: one hear per tick.
      if (hearTimer !== null) {
        clearTimeout(hearTimer);
        hear();
      }
      // Ticks the clock skipped after a stall are frames lost to every listener: say so on the wire.
      if (lastTick >= 0 && k > lastTick + 1) links.skipFrames(k - lastTick - 1, frameSamples);
      lastTick = k;
      const abs = host.absOrigin + k * frameSamples + host.absShift;
      if (hasVoice) voice!.render(abs, voiceIn, frameSamples);
      links.drain();
      engine.tick(deadline);
      if (alignment !== null) {
        const moved = alignment.afterTick(engine, clock, deadline);
        host.absShift += moved;
        if (moved !== 0) phase?.ticksMoved(moved / 48);
      }
      if (phase === null || !engine.hearPending) host.recorder?.write(abs, engine.hearOut, hasVoice ? voiceIn : null);
      else {
        hearAbs = host.absOrigin + k * frameSamples + host.absShift + phase.offsetSamples;
        hearAt = clock.deadline(k) + phase.offsetMs;
        const wait = hearAt - performance.now();
        // Whole milliseconds, rounded up: a hear that runs early finds the streams not yet in.
        hearTimer = setTimeout(hear, wait > 0 ? Math.ceil(wait) : 0);
      }
      if (++healTicks >= healEvery) {
        healTicks = 0;
        hooks.healTick(performance.now());
      }
    },
  );
  clock.start();
  return { clock, alignment, hear: phase };
}
