/**
 * werift 0.24 configuration and the two patches it gets here.
 *
 * No STUN fallback: werift's ICE `Connection` falls back to a hard-coded public STUN
 * server when none is configured, even with `iceServers: []`. Its DNS lookup
 * hangs on these machines and stalls `setLocalDescription` by exactly 5 s
 * (werift waits that long for the server-reflexive candidate). We clear the
 * fallback just before gathering when the options carry no STUN server, so
 * a configured server still works and nothing else changes.
 *
 * Native X25519: werift's DTLS handshake makes its ECDHE key pair and shared secret
 * with tweetnacl, in JavaScript (milliseconds of CPU per link end, more in a process
 * whose JIT is still cold). The two calls it makes (`box.keyPair`, `scalarMult`) are
 * answered by Node's native crypto instead, with the same bytes in and out.
 *
 * One signing key: each handshake signs its key exchange with the process's DTLS key, which
 * werift re-encodes to PEM in JavaScript and Node parses again, every time. The parsed key is
 * kept instead (`CipherContext.signatureData`, same signature).
 */
import { createPrivateKey, createPublicKey, createSign, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";
import nacl from "tweetnacl";
import { CipherContext, Connection, RTCPeerConnection, RTCRtpCodecParameters } from "werift";
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

const JS_X25519 = { keyPair: nacl.box.keyPair, scalarMult: nacl.scalarMult };
/**
 * Private keys made by nativeKeyPair, by their raw bytes, until werift uses them (once, for the
 * handshake's shared secret): importing raw bytes back into a key costs more than the X25519
 * itself. Bounded, as handshakes that never finish leave their keys behind.
 */
const pendingKeys = new Map<string, KeyObject>();
const PENDING_KEYS_MAX = 256;

function nativeKeyPair(): nacl.BoxKeyPair {
  const { privateKey } = generateKeyPairSync("x25519");
  const { d, x } = privateKey.export({ format: "jwk" });
  if (pendingKeys.size >= PENDING_KEYS_MAX) pendingKeys.delete(pendingKeys.keys().next().value!);
  pendingKeys.set(d!, privateKey);
  return { publicKey: new Uint8Array(Buffer.from(x!, "base64url")), secretKey: new Uint8Array(Buffer.from(d!, "base64url")) };
}

function nativeScalarMult(n: Uint8Array, p: Uint8Array): Uint8Array {
  if (n.length !== 32 || p.length !== 32) return JS_X25519.scalarMult(n, p); // tweetnacl's own errors
  const d = Buffer.from(n.buffer, n.byteOffset, 32).toString("base64url");
  const privateKey = pendingKeys.get(d);
  if (privateKey === undefined) return JS_X25519.scalarMult(n, p); // a key this module did not make
  pendingKeys.delete(d);
  const publicKey = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(p.buffer, p.byteOffset, 32).toString("base64url") }, format: "jwk" });
  return new Uint8Array(diffieHellman({ privateKey, publicKey }));
}

/**
 * Routes werift's X25519 through Node's native crypto (true, the default) or back to
 * tweetnacl (false: benchmarks measure the handshake both ways). Process-wide.
 */
export function useNativeX25519(enabled = true): void {
  const box = nacl.box as { keyPair: typeof nacl.box.keyPair };
  box.keyPair = enabled ? Object.assign(nativeKeyPair, { fromSecretKey: JS_X25519.keyPair.fromSecretKey }) : JS_X25519.keyPair;
  (nacl as { scalarMult: typeof nacl.scalarMult }).scalarMult = enabled
    ? Object.assign(nativeScalarMult, { base: JS_X25519.scalarMult.base, scalarLength: 32, groupElementLength: 32 })
    : JS_X25519.scalarMult;
}
let x25519Chosen = false;

interface PemKey {
  toPEM(): Buffer | string;
}
const SIGNING_KEY_PATCHED = Symbol.for("choirmesh.werift.signingKey");
const signingKeys = new WeakMap<object, KeyObject>();

/** Installs the parsed-signing-key patch once per process. */
function keepSigningKey(): void {
  const proto = CipherContext.prototype as unknown as Record<string | symbol, unknown>;
  if (proto[SIGNING_KEY_PATCHED] || typeof proto.signatureData !== "function") return;
  proto.signatureData = function (this: { localPrivateKey: PemKey }, data: Buffer, hash: string): Buffer {
    let key = signingKeys.get(this.localPrivateKey);
    if (key === undefined) {
      key = createPrivateKey(this.localPrivateKey.toPEM().toString());
      signingKeys.set(this.localPrivateKey, key);
    }
    return createSign(hash).update(data).sign(key);
  };
  proto[SIGNING_KEY_PATCHED] = true;
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
  if (!x25519Chosen) {
    x25519Chosen = true;
    // CHOIRMESH_WERIFT_JS_CRYPTO=1 leaves werift's handshake as it ships (benchmarks compare).
    if (process.env.CHOIRMESH_WERIFT_JS_CRYPTO !== "1") {
      useNativeX25519(true);
      keepSigningKey();
    }
  }
  return new RTCPeerConnection(buildPeerConfig(options));
}

function normaliseIceServers(servers: IceServerOption[]): PeerConfig["iceServers"] {
  return servers.map((s) => ({
    urls: Array.isArray(s.urls) ? [...s.urls] : s.urls,
    username: s.username,
    credential: s.credential,
  }));
}
