import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { NATIVE_RTP_PATH, RECV_BATCH, RECV_SLOT_BYTES, RecvBatch, nativeRtp, udpState } from "@choirmesh/mixer-node/transport/native-rtp";

const binding = nativeRtp();
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) {
    try {
      s.close();
    } catch {
      // already closed
    }
  }
});

function bound(): Promise<Socket> {
  const s = createSocket("udp4");
  sockets.push(s);
  return new Promise((resolve) => s.bind(0, "127.0.0.1", () => resolve(s)));
}

function jsSeal(key: Buffer, iv: Buffer, header: Buffer, payload: Buffer): Buffer {
  const c = createCipheriv("aes-128-gcm", key, iv);
  c.setAAD(header);
  const body = Buffer.concat([c.update(payload), c.final()]);
  return Buffer.concat([header, body, c.getAuthTag()]);
}

describe("native RTP binding (AES-128-GCM SRTP sealing and sending)", () => {
  it("is built where CI builds it", () => {
    if (process.env.CI) expect(binding, `${NATIVE_RTP_PATH} should be built`).not.toBeNull();
  });

  it.skipIf(!binding)("seals exactly as Node's crypto does and sends the packet in one datagram", async () => {
    const b = binding!;
    const rx = await bound();
    const tx = await bound();
    const key = randomBytes(16);
    const iv = randomBytes(12);
    const header = randomBytes(12);
    const payload = randomBytes(160);
    const got = new Promise<Buffer>((resolve) => rx.once("message", (m) => resolve(m)));
    const fd = (udpState(tx)!.handle as { fd: number }).fd;
    expect(b.sealSend(b.aead(key, true), fd, b.dest("127.0.0.1", rx.address().port), header, iv, payload)).toBe(12 + 160 + 16);
    const wire = await got;
    expect(wire.equals(jsSeal(key, iv, header, payload))).toBe(true);
    // And Node's crypto opens it.
    const d = createDecipheriv("aes-128-gcm", key, iv);
    d.setAAD(wire.subarray(0, 12));
    d.setAuthTag(wire.subarray(wire.length - 16));
    expect(Buffer.concat([d.update(wire.subarray(12, wire.length - 16)), d.final()]).equals(payload)).toBe(true);
  });

  it.skipIf(!binding)("opens what Node's crypto sealed, with a header extension as AAD, and rejects any tampered byte", () => {
    const b = binding!;
    const key = randomBytes(16);
    const iv = randomBytes(12);
    const aad = randomBytes(20);
    const payload = randomBytes(90);
    const packet = jsSeal(key, iv, aad, payload);
    const opener = b.aead(key, false);
    const out = Buffer.alloc(1500);
    expect(b.open(opener, packet, 0, packet.length, 20, iv, out)).toBe(90);
    expect(out.subarray(0, 90).equals(payload)).toBe(true);
    for (const at of [0, 19, 20, 60, packet.length - 1]) {
      const bad = Buffer.from(packet);
      bad[at] ^= 0x01;
      expect(b.open(opener, bad, 0, bad.length, 20, iv, out)).toBe(-1);
    }
    const otherIv = Buffer.from(iv);
    otherIv[11] ^= 1;
    expect(b.open(opener, packet, 0, packet.length, 20, otherIv, out)).toBe(-1);
    expect(b.open(b.aead(randomBytes(16), false), packet, 0, packet.length, 20, iv, out)).toBe(-1);
    // Too short to hold the AAD and a tag: not authentic, never a read past the end.
    expect(b.open(opener, packet, 0, 30, 20, iv, out)).toBe(-1);
    // A packet inside a larger buffer (a receive batch's slot).
    const slot = Buffer.concat([randomBytes(100), packet, randomBytes(7)]);
    expect(b.open(opener, slot, 100, 100 + packet.length, 20, iv, out)).toBe(90);
    expect(out.subarray(0, 90).equals(payload)).toBe(true);
    expect(() => b.open(opener, slot, 100, slot.length + 1, 20, iv, out)).toThrow(/start, end/);
    // The context is reused packet after packet.
    expect(b.open(opener, packet, 0, packet.length, 20, iv, out)).toBe(90);
  });

  it.skipIf(!binding)("refuses bad arguments with an error and reports a closed socket as -errno", async () => {
    const b = binding!;
    expect(() => b.aead(Buffer.alloc(15), true)).toThrow(/16-byte/);
    expect(() => b.dest("not-an-ip", 5000)).toThrow(/IPv4 or IPv6/);
    expect(() => b.dest("127.0.0.1", 0)).toThrow(/port/);
    expect(() => b.dest("::1", 5000)).not.toThrow();
    const sealer = b.aead(randomBytes(16), true);
    const dest = b.dest("127.0.0.1", 9);
    expect(() => b.sealSend(sealer, 3, dest, randomBytes(12), randomBytes(11), randomBytes(10))).toThrow(/sizes/);
    expect(() => b.sealSend(sealer, 3, dest, randomBytes(12), randomBytes(12), randomBytes(1500))).toThrow(/sizes/);
    expect(() => b.open(sealer, randomBytes(60), 0, 60, 12, randomBytes(12), Buffer.alloc(100))).toThrow(/opening context/);
    const s = await bound();
    const fd = (udpState(s)!.handle as { fd: number }).fd;
    s.close();
    sockets.length = 0;
    expect(udpState(s)).toBeNull();
    expect(b.sealSend(sealer, fd, dest, randomBytes(12), randomBytes(12), randomBytes(10))).toBe(-9); // EBADF
  });

  it.skipIf(!binding)("reads what waits on a socket in batches, with each datagram's source and the kernel's arrival time", async () => {
    const b = binding!;
    const rx = await bound();
    const tx = await bound();
    const fd = (udpState(rx)!.handle as { fd: number }).fd;
    (udpState(rx)!.handle as { recvStop: () => number }).recvStop();
    expect(b.timestamps(fd)).toBe(0);
    const batch = new RecvBatch();
    expect(b.recvBatch(fd, batch.buf, batch.meta, batch.ageMs, batch.addrs)).toBe(0); // nothing waits
    // Linux turns its receive timestamps on for the first socket that asks from a work queue, a
    // little later (until then a datagram is stamped when it is read): wait until a probe shows
    // a real arrival time.
    for (let tries = 0; ; tries++) {
      await new Promise<void>((done, fail) => tx.send(Buffer.from("probe"), rx.address().port, "127.0.0.1", (err) => (err ? fail(err) : done())));
      await new Promise((r) => setTimeout(r, 30));
      expect(b.recvBatch(fd, batch.buf, batch.meta, batch.ageMs, batch.addrs)).toBe(1);
      if (batch.ageMs[0] >= 10) break;
      expect(tries).toBeLessThan(100);
    }
    const sent: Buffer[] = [];
    for (let i = 0; i < RECV_BATCH + 5; i++) sent.push(randomBytes(20 + i));
    sent.push(randomBytes(RECV_SLOT_BYTES + 10)); // does not fit a slot: reported, not read past
    // 60 ms counted from after the last send completed (dgram sends on a later tick, and a timer
    // armed now counts from the loop's cached time, which on a loaded machine may be old).
    await Promise.all(sent.map((d) => new Promise<void>((done, fail) => tx.send(d, rx.address().port, "127.0.0.1", (err) => (err ? fail(err) : done())))));
    const sentAt = performance.now();
    while (performance.now() - sentAt < 60) await new Promise((r) => setTimeout(r, 10));
    const first = b.recvBatch(fd, batch.buf, batch.meta, batch.ageMs, batch.addrs);
    expect(first).toBe(RECV_BATCH);
    for (let i = 0; i < first; i++) {
      expect(batch.length(i)).toBe(sent[i].length);
      expect(batch.buf.subarray(i * RECV_SLOT_BYTES, i * RECV_SLOT_BYTES + batch.length(i)).equals(sent[i])).toBe(true);
      expect(batch.address(i)).toBe("127.0.0.1");
      expect(batch.family(i)).toBe("IPv4");
      expect(batch.port(i)).toBe(tx.address().port);
      // Sent 60 ms before the read: the kernel's stamp says so (generous bounds for a loaded machine).
      expect(batch.ageMs[i]).toBeGreaterThan(40);
      expect(batch.ageMs[i]).toBeLessThan(2000);
    }
    const second = b.recvBatch(fd, batch.buf, batch.meta, batch.ageMs, batch.addrs);
    expect(second).toBe(6);
    expect(batch.length(4)).toBe(sent[RECV_BATCH + 4].length);
    expect(batch.length(5)).toBe(-1);
    expect(b.recvBatch(fd, batch.buf, batch.meta, batch.ageMs, batch.addrs)).toBe(0);
    expect(() => b.recvBatch(fd, Buffer.alloc(10), batch.meta, batch.ageMs, batch.addrs)).toThrow(/too small/);
    expect(() => b.recvBatch(fd, batch.buf, new Int32Array(4), batch.ageMs, batch.addrs)).toThrow(/too small/);
  });
});
