/**
 * One client message, checked, to the room logic that answers it. The same in one process and
 * in a cluster (where the room's owner runs it).
 */
import type { ClientMessage } from "@choirmesh/protocol";
import type { SignalingMetrics } from "./metrics.js";
import type { Peer } from "./room-runtime.js";
import type { Rooms } from "./rooms.js";

export function dispatchMessage(rooms: Rooms, metrics: SignalingMetrics, peer: Peer, msg: ClientMessage, now: number): void {
  switch (msg.type) {
    case "join": {
      const started = performance.now();
      rooms.join(peer, msg, now);
      metrics.joinSeconds.observe((performance.now() - started) / 1000);
      return;
    }
    case "signal":
      return rooms.signal(peer, msg);
    case "rtt":
      return rooms.rtt(peer, msg);
    case "tree":
      return rooms.tree(peer, msg, now);
    case "leave":
      return rooms.leave(peer, msg.ref);
    case "link-lost":
      return rooms.linkLost(peer, msg, now);
  }
}
