/**
 * Minimal WAV (RIFF) reading and writing: 16-bit PCM and 32-bit float, any
 * channel count in, mono Float32 out. Enough for test voices and recordings.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { ChoirmeshError } from "@choirmesh/common/errors";

export interface WavData {
  sampleRate: number;
  /** Mono samples in [-1, 1] (multi-channel input is averaged). */
  samples: Float32Array;
}

export class WavError extends ChoirmeshError<"bad-wav"> {
  constructor(message: string) {
    super("bad-wav", message);
  }
}

export function decodeWav(buf: Uint8Array): WavData {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (off: number) => String.fromCharCode(buf[off], buf[off + 1], buf[off + 2], buf[off + 3]);
  if (buf.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new WavError("not a RIFF/WAVE file");
  let off = 12;
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | null = null;
  while (off + 8 <= buf.length) {
    const id = tag(off);
    const size = view.getUint32(off + 4, true);
    const body = off + 8;
    if (id === "fmt ") {
      if (size < 16) throw new WavError("fmt chunk too short");
      let format = view.getUint16(body, true);
      if (format === 0xfffe && size >= 40) format = view.getUint16(body + 24, true); // WAVE_FORMAT_EXTENSIBLE
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      if (!fmt) throw new WavError("data chunk before fmt chunk");
      const { format, channels, bits } = fmt;
      if (channels < 1) throw new WavError("no channels");
      const bytes = Math.min(size, buf.length - body);
      const isFloat = format === 3 && bits === 32;
      const isPcm16 = format === 1 && bits === 16;
      if (!isFloat && !isPcm16) throw new WavError(`unsupported WAV format ${format}/${bits}-bit`);
      const frameBytes = (bits / 8) * channels;
      const frames = Math.floor(bytes / frameBytes);
      const samples = new Float32Array(frames);
      for (let i = 0; i < frames; i++) {
        let acc = 0;
        for (let c = 0; c < channels; c++) {
          const p = body + i * frameBytes + c * (bits / 8);
          acc += isFloat ? view.getFloat32(p, true) : view.getInt16(p, true) / 32768;
        }
        samples[i] = acc / channels;
      }
      return { sampleRate: fmt.sampleRate, samples };
    }
    off = body + size + (size & 1);
  }
  throw new WavError("no data chunk");
}

/** Encodes mono samples as 16-bit PCM WAV (clamped to [-1, 1]). */
export function encodeWav(samples: Float32Array, sampleRate = 48_000): Uint8Array {
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const put = (off: number, s: string) => {
    for (let i = 0; i < 4; i++) out[off + i] = s.charCodeAt(i);
  };
  put(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  put(8, "WAVE");
  put(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  put(36, "data");
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + i * 2, Math.round(v * 32767), true);
  }
  return out;
}

export function readWav(path: string): WavData {
  return decodeWav(readFileSync(path));
}

export function writeWav(path: string, samples: Float32Array, sampleRate = 48_000): void {
  writeFileSync(path, encodeWav(samples, sampleRate));
}
