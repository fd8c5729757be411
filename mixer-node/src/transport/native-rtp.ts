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
import { REPO_ROOT } from "@choirmesh/common/repo-root";

/** An opaque native handle (an N-API external). */
export type NativeHandle = { readonly __native: unique symbol };

export interface NativeRtpBinding {
  /** A GCM context for one key: sealing (encrypt true) or opening. */
  aead(key: Uint8Array, encrypt: boolean): NativeHandle;
  /** A destination socket address. */
  dest(ip: string, port: number): NativeHandle;
  /** Seals header+payload and sends it on fd: bytes sent, or -errno (-11 EAGAIN: dropped). */
  sealSend(aead: NativeHandle, fd: number, dest: NativeHandle, header: Uint8Array, iv: Uint8Array, payload: Uint8Array): number;
  /**
   * Opens the packet buf[start .. end) (AAD its first aadBytes, the tag its last 16) into out:
   * the plaintext length, or -1 when it does not authenticate.
   */
  open(aead: NativeHandle, buf: Uint8Array, start: number, end: number, aadBytes: number, iv: Uint8Array, out: Uint8Array): number;
  /** Has the kernel stamp each datagram's arrival on fd: 0, or -errno. */
  timestamps(fd: number): number;
  /** Reads what waits on fd into a RecvBatch, one recvmmsg: the count, 0 when nothing waits, or -errno. */
  recvBatch(fd: number, buf: Uint8Array, meta: Int32Array, ages: Float64Array, addrs: Uint8Array): number;
}

/** Datagrams one recvBatch call takes at most, and where each lands (see rtp_binding.c). */
export const RECV_BATCH = 32;
export const RECV_SLOT_BYTES = 2048;
const META_INTS = 4;
const ADDR_BYTES = 48;

/**
 * The buffers recvBatch fills. One per process is enough: a batch is handled before the next
 * read, on the one thread. Datagram i: bytes at buf[i * RECV_SLOT_BYTES], length(i) (-1 when it
 * did not fit), port(i), family(i), address(i), ageMs[i] (how long ago the kernel received it).
 */
export class RecvBatch {
  readonly buf = Buffer.allocUnsafeSlow(RECV_BATCH * RECV_SLOT_BYTES);
  readonly meta = new Int32Array(RECV_BATCH * META_INTS);
  readonly ageMs = new Float64Array(RECV_BATCH);
  readonly addrs = Buffer.alloc(RECV_BATCH * ADDR_BYTES);
  length(i: number): number {
    return this.meta[i * META_INTS];
  }
  port(i: number): number {
    return this.meta[i * META_INTS + 1];
  }
  family(i: number): "IPv4" | "IPv6" {
    return this.meta[i * META_INTS + 2] === 6 ? "IPv6" : "IPv4";
  }
  /** The source address as text (allocates: for datagrams that are not the link's RTP). */
  address(i: number): string {
    return this.addrs.toString("latin1", i * ADDR_BYTES, i * ADDR_BYTES + this.meta[i * META_INTS + 3]);
  }
}

let batch: RecvBatch | null = null;
/** The process's RecvBatch. */
export function recvBatch(): RecvBatch {
  batch ??= new RecvBatch();
  return batch;
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
  handle: { fd?: number; recvStart?: () => number; recvStop?: () => number } | null;
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

/** The native per-packet path's handles for one link. */
export interface NativePath {
  binding: NativeRtpBinding;
  sealer: NativeHandle;
  opener: NativeHandle;
  dest: NativeHandle;
  fd: number;
  /** The socket's state: its handle is null once the socket (and its fd) closed. */
  udp: { handle: { recvStart?: () => number; recvStop?: () => number } | null };
}

/** The native path for one link (its AEAD contexts, destination and socket), or null when the binding cannot carry it. */
export function openNativePath(socket: UdpSocket, key: Buffer, remoteKey: Buffer, host: string, port: number): NativePath | null {
  const binding = nativeRtp();
  const udp = binding && udpState(socket);
  if (!binding || !udp) return null;
  try {
    return { binding, sealer: binding.aead(key, true), opener: binding.aead(remoteKey, false), dest: binding.dest(host, port), fd: udp.handle!.fd!, udp };
  } catch {
    return null; // e.g. an address the binding does not parse: the JavaScript path carries it
  }
}

/** True while this path still matches the link's selected ICE pair. */
