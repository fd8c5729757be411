export { PeerLink } from "./peer-link.js";
export type { LinkState, PeerLinkEvents, PeerLinkStats } from "./types.js";
export {
  PEER_LINK_DEFAULTS,
  type IceServerOption,
  type LinkImpairment,
  type LinkRole,
  type PeerLinkOptions,
} from "./defaults.js";
export { TransportError, type TransportErrorCode } from "./errors.js";
export { SafeEmitter, type EventMap, type Listener } from "@choirmesh/common/events";
export {
  DROPPED,
  NOW,
  ImpairedPath,
  ImpairmentCore,
  burstLoss,
  realClock,
  seededRandom,
  type CutWindow,
  type DropReason,
  type GilbertElliott,
  type ImpairmentConfig,
  type ImpairmentStats,
  type PathClock,
} from "./impairment.js";
export { parseSignal, type CandidateInit, type Signal } from "@choirmesh/protocol";
export { buildPeerConfig, createPeerConnection, disableStunFallback, useNativeX25519 } from "./werift-setup.js";
export { connectLoopbackPair, type LinkPair, type PairOptions } from "./loopback.js";
