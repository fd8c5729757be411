/**
 * Relay between tree neighbours: a signal goes only to the sender's parent, children or backup
 * (by what the planner says now, or what either end was last told: a rebuild or a move in
 * flight), and RTT reports feed the planner's estimates.
 */
import type { SignalMessage } from "@choirmesh/protocol";
import type { Refusal } from "./access.js";
import type { SignalingMetrics } from "./metrics.js";
import type { NodeId } from "./planner/types.js";
import type { RoomRuntime } from "./room-runtime.js";

/** Sends `msg` from `me` to its neighbour; a refusal when the target is not one, or is away. */
export function relaySignal(rt: RoomRuntime, me: NodeId, msg: SignalMessage, metrics: SignalingMetrics): Refusal | null {
  const p = rt.state.planner;
  const to = msg.to;
  // Only tree neighbours, in both directions; ids of other rooms are simply unknown here.
  const told = (a: NodeId, b: NodeId) => {
    const t = rt.told.get(a);
    return t !== undefined && (t.parent === b || t.backup === b || t.children.includes(b) || (t.direct?.includes(b) ?? false));
  };
  const neighbour =
    to !== me &&
    ((p.has(to) && (p.parentOf(me) === to || p.parentOf(to) === me || p.backupOf(me) === to || p.backupOf(to) === me)) || told(me, to) || told(to, me));
  if (!neighbour) return { ok: false, code: "not-neighbour", message: `${to} is not your parent, child, backup or direct neighbour` };
  const target = rt.peers.get(to);
  if (!target) return { ok: false, code: "peer-unavailable", message: `${to} is reconnecting` };
  metrics.signals.inc({ kind: msg.kind });
  target.send({ type: "signal", from: me, kind: msg.kind, data: msg.data });
  return null;
}

/** One RTT sample from a node; samples about nodes that have left are stale, not wrong: dropped quietly. */
export function reportRtt(rt: RoomRuntime, from: NodeId, to: NodeId, rttMs: number, metrics: SignalingMetrics): void {
  if (to === from || !rt.state.planner.has(to)) return;
  rt.state.planner.reportRtt(from, to, rttMs);
  metrics.rtts.inc();
}
