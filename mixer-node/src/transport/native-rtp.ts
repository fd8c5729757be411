/**
 * The native per-packet path of a connected link (mixer-node/native-rtp): AES-128-GCM sealing
 * and opening on a context kept per link, and the sealed packet's sendto(2) on the link's UDP
 * socket, one call a packet. Built at install beside the Opus binding; without a C compiler the
 * direct path seals with Node's crypto and sends with dgram (the same packets, at a higher
 * cost). `CHOIRMESH_NATIVE_RTP=0` turns it off.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Socket as UdpSocket } from "node:dgram";
import { REPO_ROOT } from "../../../signaling/src/repo-root.js";

/** An opaque native handle (an N-API external). */
export type NativeHandle = { readonly __native: unique symbol };

export interface NativeRtpBinding {
  /** A GCM context for one key: sealing (encrypt true) or opening. */
  aead(key: Uint8Array, encrypt: boolean): NativeHandle;
  /** A destination socket address. */
  dest(ip: string, port: number): NativeHandle;
  /** Seals header+payload and sends it on fd: bytes sent, or -errno (-11 EAGAIN: dropped). */
  sealSend(aead: NativeHandle, fd: number, dest: NativeHandle, header: Uint8Array, iv: Uint8Array, payload: Uint8Array): number;
  /** Opens packet[aadBytes .. -16] into out: the plaintext length, or -1 when it does not authenticate. */
  open(aead: NativeHandle, packet: Uint8Array, aadBytes: number, iv: Uint8Array, out: Uint8Array): number;
}

export const NATIVE_RTP_PATH = join(REPO_ROOT, "mixer-node", "native-rtp", "build", "Release", "choirmesh_rtp.node");

let cached: NativeRtpBinding | null | undefined;

/** The binding, or null when it is not built, does not load, or is turned off. */
export function nativeRtp(): NativeRtpBinding | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.CHOIRMESH_NATIVE_RTP === "0" || !existsSync(NATIVE_RTP_PATH)) return null;
  try {
    cached = createRequire(import.meta.url)(NATIVE_RTP_PATH) as NativeRtpBinding;
  } catch {
    cached = null;
  }
  return cached;
}

interface UdpState {
  handle: { fd?: number } | null;
}

/**
 * The internal state of a dgram socket, whose `handle` is null once the socket is closed (and
 * its fd with it): the native path checks it before every send, so it never writes to an fd
 * number that a later socket may have been given. Null when this Node keeps it elsewhere.
 */
export function udpState(socket: UdpSocket): UdpState | null {
  const sym = Object.getOwnPropertySymbols(socket).find((s) => s.description === "state symbol");
  const state = sym === undefined ? undefined : (socket as unknown as Record<symbol, UdpState | undefined>)[sym];
  if (!state || typeof state !== "object" || !state.handle || typeof state.handle.fd !== "number" || state.handle.fd < 0) return null;
  return state;
}
