/**
 * Transport options and their defaults, in one place.
 */
import type { ImpairmentConfig } from "./impairment.js";

export type LinkRole = "offerer" | "answerer";

export interface IceServerOption {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface LinkImpairment {
  /** Applied to packets this end sends, after the link numbers them (so a drop is a real sequence gap). */
  send?: ImpairmentConfig;
  /** Applied to packets this end receives, before `opus` listeners see them. */
  receive?: ImpairmentConfig;
}

export interface PeerLinkOptions {
  /** Who creates offers (and ICE restarts). Required. */
  role: LinkRole;
  /** A name for errors and stats (e.g. the neighbour's id). Default "link". */
  label?: string;
  /**
   * STUN/TURN servers. Default []: no server at all. werift's built-in public
   * STUN fallback is disabled by `werift-setup.ts` whenever this list holds no
   * STUN server, because its DNS lookup stalls setup by 5 s here.
   */
  iceServers?: IceServerOption[];
  /** Extra host addresses to gather; default ["127.0.0.1"] (werift skips internal interfaces). */
  iceAdditionalHostAddresses?: string[];
  /** Gather IPv6 candidates. Default false. */
  iceUseIpv6?: boolean;
  /**
   * Only pair 127.0.0.1 candidates and only signal those. Default false; tests
   * and the local demo turn it on so that no other interface is ever probed.
   */
  loopbackOnly?: boolean;
  /**
   * Trickle ICE: send the description before gathering ends and each
   * candidate as found. Default: only when STUN/TURN servers are configured.
   * With host candidates only, gathering takes a few ms and sending it all in
   * the description connects faster: on loopback, median 146 ms vs 172 ms
   * with trickle (8 pairs each, interleaved), because werift's checks then
   * start with the peer's candidates in hand instead of waiting for them.
   */
  trickle?: boolean;
  /** Opus payload type offered. Default 111 (what browsers use). */
  payloadType?: number;
  /** Impairment of this end's RTP (tests and sim/). Default none. */
  impairment?: LinkImpairment;
  /** Largest accepted SDP, characters. Default 65536. */
  maxSdpChars?: number;
  /**
   * The owner calls `drain()` on every frame tick and the link's packets are read then, in one
   * batch, with the kernel's arrival time of each, instead of waking the process per packet.
   * Only on the direct path with the native RTP binding; otherwise (and before the direct path
   * takes over) packets arrive as they come. Default false.
   */
  receiveOnTick?: boolean;
}

export const PEER_LINK_DEFAULTS = {
  label: "link",
  iceServers: [] as IceServerOption[],
  iceAdditionalHostAddresses: ["127.0.0.1"],
  iceUseIpv6: false,
  loopbackOnly: false,
  payloadType: 111,
  maxSdpChars: 65_536,
} as const;

/** A link reports its listeners' errors at most this often (ms), so a broken listener cannot flood. */
export const LISTENER_ERROR_REPORT_MS = 1000;
