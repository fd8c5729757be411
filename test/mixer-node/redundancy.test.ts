import { describe, expect, it } from "vitest";
import { loadCodecBackend } from "@choirmesh/mixer-node/codec";
import { padWithRedundancy, readRedundancy, type RedundantBlock } from "@choirmesh/mixer-node/codec/redundancy";
import { mulberry32 } from "../fixtures/signals.js";

const backend = loadCodecBackend();

function packets(count: number): Uint8Array[] {
  const enc = backend.createEncoder({ frameMs: 10 });
  const pcm = new Float32Array(480);
  const buf = new Uint8Array(1275);
  const out: Uint8Array[] = [];
  for (let f = 0; f < count; f++) {
    for (let i = 0; i < 480; i++) pcm[i] = 0.2 * Math.sin((2 * Math.PI * 440 * (f * 480 + i)) / 48_000) + 0.05 * Math.sin((2 * Math.PI * 1234 * (f * 480 + i)) / 48_000);
    out.push(buf.slice(0, enc.encode(pcm, buf)));
  }
  return out;
}

describe("redundancy in Opus padding", () => {
  const pk = packets(40);
  const out = new Uint8Array(4000);
  const blocks: RedundantBlock[] = [{ offset: 0, length: 0, delta: 0 }, { offset: 0, length: 0, delta: 0 }];
  const block = blocks[0];

  it("carries the previous packet byte for byte", () => {
    for (let k = 1; k < pk.length; k++) {
      const n = padWithRedundancy(pk[k], pk[k].length, pk[k - 1], pk[k - 1].length, pk[0], 0, out);
      expect(n).toBeGreaterThan(pk[k].length + pk[k - 1].length);
      const p = out.subarray(0, n);
      expect(readRedundancy(p, blocks)).toBe(1);
      expect(block.delta).toBe(1);
      expect(Array.from(p.subarray(block.offset, block.offset + block.length))).toEqual(Array.from(pk[k - 1]));
    }
  });

  it("decodes to exactly the same audio as the plain packet (a decoder ignores the padding)", () => {
    const plain = backend.createDecoder(10);
    const padded = backend.createDecoder(10);
    const a = new Float32Array(480);
    const b = new Float32Array(480);
    for (let k = 1; k < pk.length; k++) {
      const n = padWithRedundancy(pk[k], pk[k].length, pk[k - 1], pk[k - 1].length, pk[0], 0, out);
      expect(plain.decode(pk[k], a)).toBe(480);
      expect(padded.decode(out.subarray(0, n), b)).toBe(480);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  it("carries the two previous packets, nearest first", () => {
    for (let k = 2; k < pk.length; k++) {
      const n = padWithRedundancy(pk[k], pk[k].length, pk[k - 1], pk[k - 1].length, pk[k - 2], pk[k - 2].length, out);
      const p = out.subarray(0, n);
      expect(readRedundancy(p, blocks)).toBe(2);
      expect(blocks.map((b) => b.delta)).toEqual([1, 2]);
      expect(Array.from(p.subarray(blocks[1].offset, blocks[1].offset + blocks[1].length))).toEqual(Array.from(pk[k - 2]));
      const plain = backend.createDecoder(10);
      const a = new Float32Array(480);
      const b = new Float32Array(480);
      plain.decode(pk[k], a);
      backend.createDecoder(10).decode(p, b);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  it("encodes padding longer than 254 bytes with continuation bytes", () => {
    const big = new Uint8Array(600).fill(7);
    big[0] = pk[0][0];
    const n = padWithRedundancy(pk[1], pk[1].length, big, big.length, pk[0], 0, out);
    expect(out[2]).toBe(255);
    expect(out[3]).toBe(255);
    expect(readRedundancy(out.subarray(0, n), blocks)).toBe(1);
    expect(block).toMatchObject({ length: 600, delta: 1 });
  });

  it("declines what it cannot carry, and finds nothing in plain or hostile packets", () => {
    const code3 = Uint8Array.from(pk[1]);
    code3[0] |= 3;
    expect(padWithRedundancy(code3, code3.length, pk[0], pk[0].length, pk[0], 0, out)).toBe(0);
    expect(padWithRedundancy(pk[1], pk[1].length, pk[0], pk[0].length, pk[0], 0, new Uint8Array(20))).toBe(0);
    expect(padWithRedundancy(pk[1], pk[1].length, pk[0], 0, pk[0], 0, out)).toBe(0);
    for (const p of pk) expect(readRedundancy(p, blocks)).toBe(0);
    expect(readRedundancy(null as unknown as Uint8Array, blocks)).toBe(0);
    expect(readRedundancy("RR" as unknown as Uint8Array, blocks)).toBe(0);
    const rnd = mulberry32(9);
    let found = 0;
    for (let t = 0; t < 20_000; t++) {
      const p = new Uint8Array(1 + Math.floor(rnd() * 60));
      for (let i = 0; i < p.length; i++) p[i] = Math.floor(rnd() * 256);
      if (rnd() < 0.5) {
        p[0] |= 3;
        if (p.length > 1) p[1] = 0x41;
      }
      const got = readRedundancy(p, blocks);
      if (got > 0) found++;
      for (let i = 0; i < got; i++) {
        expect(blocks[i].offset + blocks[i].length).toBeLessThanOrEqual(p.length);
        expect(blocks[i].length).toBeGreaterThan(0);
      }
    }
    expect(found).toBeLessThan(200);
  });
});
