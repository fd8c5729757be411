/**
 * werift 0.24 configuration and the one patch it needs here.
 *
 * The patch: werift's ICE `Connection` falls back to a hard-coded public STUN
 * server when none is configured, even with `iceServers: []`. Its DNS lookup
 * hangs on these machines and stalls `setLocalDescription` by exactly 5 s
 * (werift waits that long for the server-reflexive candidate). We clear the
 * fallback just before gathering when the options carry no STUN server, so
 * a configured server still works and nothing else changes.
 */
import { Connection, RTCPeerConnection, RTCRtpCodecParameters } from "werift";
import type { PeerConfig } from "werift";
import { PEER_LINK_DEFAULTS, type IceServerOption, type PeerLinkOptions } from "./defaults.js";

const PATCHED = Symbol.for("choirmesh.werift.noStunFallback");

interface PatchableConnection {
  options: { stunServer?: unknown };
  stunServer?: unknown;
}

/** Installs the STUN-fallback patch once per process; returns true if it is in place. */
export function disableStunFallback(): boolean {
  const proto = Connection.prototype as unknown as Record<string | symbol, unknown>;
  if (proto[PATCHED]) return true;
  const original = proto.getCandidatePromises;
  if (typeof original !== "function") return false;
  proto.getCandidatePromises = function (this: PatchableConnection, ...args: unknown[]) {
    if (!this.options.stunServer) this.stunServer = undefined;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  proto[PATCHED] = true;
  return true;
}

/** The werift `PeerConfig` for one link: Opus only, no public STUN, loopback host candidates. */
export function buildPeerConfig(options: PeerLinkOptions): Partial<PeerConfig> {
  const loopbackOnly = options.loopbackOnly ?? PEER_LINK_DEFAULTS.loopbackOnly;
  const config: Partial<PeerConfig> = {
    codecs: {
      audio: [
        new RTCRtpCodecParameters({
          mimeType: "audio/opus",
          clockRate: 48_000,
          channels: 2,
          payloadType: options.payloadType ?? PEER_LINK_DEFAULTS.payloadType,
        }),
      ],
      video: [],
    },
    headerExtensions: { audio: [], video: [] },
    iceServers: normaliseIceServers(options.iceServers ?? PEER_LINK_DEFAULTS.iceServers),
    iceAdditionalHostAddresses: [
      ...(options.iceAdditionalHostAddresses ?? PEER_LINK_DEFAULTS.iceAdditionalHostAddresses),
    ],
    iceUseIpv6: options.iceUseIpv6 ?? PEER_LINK_DEFAULTS.iceUseIpv6,
    iceUseIpv4: true,
  };
  if (loopbackOnly) {
    config.iceFilterCandidatePair = (pair) =>
      pair.localCandidate.host === "127.0.0.1" && pair.remoteCandidate.host === "127.0.0.1";
  }
  return config;
}

export function createPeerConnection(options: PeerLinkOptions): RTCPeerConnection {
  disableStunFallback();
  return new RTCPeerConnection(buildPeerConfig(options));
}

function normaliseIceServers(servers: IceServerOption[]): PeerConfig["iceServers"] {
  return servers.map((s) => ({
    urls: Array.isArray(s.urls) ? [...s.urls] : s.urls,
    username: s.username,
    credential: s.credential,
  }));
}
