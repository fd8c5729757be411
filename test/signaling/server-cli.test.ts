/** The CLI as a user runs it: one command starts the server, one line per lifecycle change. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { compiledEntry } from "@choirmesh/common/repo-root";
import { verifyRoomToken } from "@choirmesh/signaling/tokens";
import { httpGet, TestClient } from "./server.fixtures.js";

// The compiled CLI, as `npm run signaling` runs it.
const CLI = compiledEntry("signaling/src/cli.ts");
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  child = undefined;
});

function waitForLine(lines: string[], re: RegExp, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = () => {
      const hit = lines.find((l) => re.test(l));
      if (hit) return resolve(hit);
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`no line ${re} in:\n${lines.join("\n")}`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

describe("signaling CLI", () => {
  it("starts with one command, logs each lifecycle change once, and stops on SIGTERM", async () => {
    child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--host", "127.0.0.1", "--secret", "cli-secret"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CHOIRMESH_LOG: "info" },
    });
    const lines: string[] = [];
    let buf = "";
    child.stderr!.on("data", (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split("\n");
      buf = parts.pop()!;
      lines.push(...parts);
    });
    const listening = await waitForLine(lines, /INFO +choirmesh:signaling listening url=/);
    const url = /url=(\S+)/.exec(listening)![1]!;
    expect((await httpGet(`${url}/healthz`)).status).toBe(200);

    const made = spawnSync(process.execPath, [CLI, "token", "--room", "cli", "--secret", "cli-secret", "--ttl", "60"], { encoding: "utf8" });
    expect(made.status).toBe(0);
    const token = made.stdout.trim();
    expect(verifyRoomToken(token, "cli-secret", "cli")).toMatchObject({ ok: true, dedicated: false });
    const hubToken = spawnSync(process.execPath, [CLI, "token", "--room", "cli", "--secret", "cli-secret", "--dedicated"], { encoding: "utf8" }).stdout.trim();
    expect(verifyRoomToken(hubToken, "cli-secret", "cli")).toMatchObject({ ok: true, dedicated: true });

    const a = await TestClient.connect(url);
    const b = await TestClient.connect(url);
    const ja = await a.join("cli", { canHub: true, uploadKbps: 50_000, hasVoice: false, token });
    await b.join("cli", { token });
    for (let i = 0; i < 20; i++) b.send({ type: "rtt", samples: [{ to: ja.id, rttMs: 10 + i }] });
    b.send({ type: "leave" });
    await b.next("left");
    a.close();
    b.close();
    await waitForLine(lines, /room closed/);
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child!.once("exit", (c) => r(c)));
    expect(code).toBe(0);
    const events = lines.map((l) => /INFO +choirmesh:signaling (.*?)(?= \w+=|$)/.exec(l)?.[1]).filter(Boolean);
    expect(events).toEqual(["listening", "room opened", "join", "join", "leave", "leave", "room closed", "stopping", "stopped"]);
  });

  it("refuses bad arguments with a usage message", () => {
    const r = spawnSync(process.execPath, [CLI, "serve", "--frame-ms", "7"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--frame-ms: 2.5, 5, 10 or 20/);
    const t = spawnSync(process.execPath, [CLI, "token", "--room", "x"], { encoding: "utf8", env: { ...process.env, CHOIRMESH_SECRET: "" } });
    expect(t.status).toBe(2);
    expect(t.stderr).toMatch(/secret/);
  });
});
