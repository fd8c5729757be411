/**
 * Picks the Opus backend: the native binding when it loads, else the prebuilt
 * fallback package. CHOIRMESH_OPUS_BACKEND=native|fallback overrides "auto"
 * (so an operator can choose without code changes; an explicit `prefer` from
 * code wins). Each backend loads once per process.
 */
import { createFallbackBackend } from "./fallback.js";
import { createNativeBackend } from "./native.js";
import { CodecError, type CodecBackend } from "./types.js";

export * from "./types.js";
export { CODEC_DEFAULTS, resolveEncoderOptions, type ResolvedEncoderOptions } from "./defaults.js";

export type BackendPreference = "auto" | "native" | "fallback";

export const BACKEND_ENV = "CHOIRMESH_OPUS_BACKEND";

const loaded: { native?: CodecBackend | CodecError; fallback?: CodecBackend | CodecError } = {};

function load(name: "native" | "fallback"): CodecBackend | CodecError {
  let r = loaded[name];
  if (r === undefined) {
    try {
      r = name === "native" ? createNativeBackend() : createFallbackBackend();
    } catch (e) {
      r = e instanceof CodecError ? e : new CodecError(name === "native" ? "native-unavailable" : "fallback-unavailable", String(e));
    }
    loaded[name] = r;
  }
  return r;
}

/**
 * Returns the codec backend. "auto" (the default) is native when the binding
 * loads, else fallback; "native" or "fallback" insist, and throw a CodecError
 * ("native-unavailable" / "fallback-unavailable") with the reason when that
 * one cannot load.
 */
export function loadCodecBackend(prefer: BackendPreference = "auto"): CodecBackend {
  let want: string = prefer;
  if (want === "auto") {
    const env = process.env[BACKEND_ENV];
    if (env !== undefined && env !== "" && env !== "auto") want = env;
  }
  if (want !== "auto" && want !== "native" && want !== "fallback") {
    throw new CodecError("unknown-backend", `unknown Opus backend "${want}" (expected auto, native or fallback)`);
  }
  if (want !== "auto") {
    const r = load(want);
    if (r instanceof CodecError) throw r;
    return r;
  }
  const n = load("native");
  if (!(n instanceof CodecError)) return n;
  const f = load("fallback");
  if (f instanceof CodecError) {
    throw new CodecError("fallback-unavailable", `no Opus backend: ${n.message}; ${f.message}`);
  }
  return f;
}

/** Why the native backend is unavailable, or null when it loads. */
export function nativeUnavailableReason(): string | null {
  const n = load("native");
  return n instanceof CodecError ? n.message : null;
}
