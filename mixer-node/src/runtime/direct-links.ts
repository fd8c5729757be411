/**
 * Neighbours who hear each other directly (docs/design.md, "Neighbours hear each other
 * directly"), at both ends of the arrangement.
 *
 * A leaf singer: the server names the leaves under the same hub it exchanges voices with
 * (`direct` in its neighbourhood, signaling/planner/direct.ts). It links to each (the lower id
 * offers); each link's engine slot is a direct peer's (HubEngine.setChildPeer): what comes in is
 * heard, and what goes out is the node's up packet, the same as its parent gets. Whom it hears
 * now (a connected link whose packets keep coming) it tells its hub, whenever that changes and
 * every few seconds (`{ hearing: [ids] }` relayed as a signal).
 *
 * A hub: what each child says it hears, it leaves out of that child's down mix, in PCM before
 * encoding (HubEngine.setChildExcludes): a voice is never heard twice, and a neighbour whose link
 * fails is back in the mix as soon as the child stops reporting it.
 *
 * Direct links use the top engine slots (slotBase..), which the child links never take.
 */
import type { RelayedSignalMessage } from "@choirmesh/protocol";
import type { HubEngine } from "../hub-engine.js";
import type { PeerLinkOptions } from "../transport/index.js";
import { PeerLink } from "../transport/peer-link.js";
import { EarlySignals } from "./early-signals.js";
import type { PathDelays } from "./path-delays.js";

export const DIRECT_DEFAULTS = {
  /** Engine slots kept for direct peers (the most a singer takes; mixer.ts MAX_EXCLUDED). */
  slots: 8,
  /** A peer heard within this long counts as heard, ms. */
  heardWithinMs: 300,
  /** How often the hearing is checked, and the longest between two reports, ms. */
  checkEveryMs: 200,
  reportEveryMs: 3000,
  /** Ids one hearing report may carry. */
  maxReported: 16,
  /** A direct link that failed or closed on its own is opened again after this long, ms. */
  reopenMs: 1000,
} as const;

export interface DirectLinksHost {
  readonly engine: HubEngine;
  readonly linkOptions: Omit<PeerLinkOptions, "role" | "label">;
  readonly paths?: PathDelays;
  myId(): string | null;
  parentId(): string | null;
  /** The engine slot of a child of this node, null when it is none. */
  childSlot(peer: string): number | null;
  sendSignal(to: string, kind: "offer" | "answer" | "candidate" | "other", data: Record<string, unknown>): void;
  problem(where: string, message: string, counter?: "signals" | "slots"): void;
  arrivalTimingTrusted(arrivalMs: number): boolean;
}

interface DirectEntry {
  peer: string;
  link: PeerLink;
  slot: number;
  lastRxMs: number;
}

export interface DirectLinksStats {
  /** Peers linked, and those heard now. */
  peers: { peer: string; state: string; slot: number }[];
  heard: string[];
  /** Hub side: what each child reported hearing. */
  childrenHear: Record<string, string[]>;
  reports: number;
}

/** A hearing report from a peer: null unless it is a short list of short ids. Never throws. */
export function parseHearing(data: Record<string, unknown>): string[] | null {
  const h = data.hearing;
  if (!Array.isArray(h) || h.length > DIRECT_DEFAULTS.maxReported) return null;
  for (const x of h) if (typeof x !== "string" || x.length === 0 || x.length > 64) return null;
  return h as string[];
}

export class DirectLinks {
  private readonly links = new Map<string, DirectEntry>();
  private readonly free: number[] = [];
  private readonly early = new EarlySignals(5000, 16);
  private readonly childrenHear = new Map<string, string[]>();
  private wanted: string[] = [];
  private reported = "";
  private reportedTo: string | null = null;
  private reportedAt = -Infinity;
  private reports = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly reopening = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly host: DirectLinksHost,
    readonly slotBase: number,
    slots: number = DIRECT_DEFAULTS.slots,
  ) {
    for (let s = slotBase + slots - 1; s >= slotBase; s--) this.free.push(s);
  }

  ownsSlot(slot: number): boolean {
    return slot >= this.slotBase;
  }

  /** The direct neighbours the server named now: links to new ones, old ones closed. */
  reconcile(direct: readonly string[]): void {
    if (this.closed) return;
    this.wanted = direct.slice(0, this.free.length + this.links.size);
    for (const peer of [...this.links.keys()]) if (!this.wanted.includes(peer)) this.drop(peer);
    const me = this.host.myId();
    for (const peer of this.wanted) {
      if (this.links.has(peer) || me === null) continue;
      const entry = this.open(peer, me < peer ? "offerer" : "answerer");
      if (!entry) continue;
      entry.link.start();
      for (const data of this.early.take(peer, performance.now())) entry.link.handleSignal(data);
    }
    if (this.wanted.length > 0 || this.links.size > 0) this.arm();
  }

  /** A signal of a direct link (its data says `direct: true`). */
  onSignal(m: RelayedSignalMessage): void {
    if (this.closed) return;
    const e = this.links.get(m.from);
    if (e) e.link.handleSignal(m.data);
    else if (!this.early.keep(m.from, m.data, performance.now())) this.host.problem("signals", `too many early direct signals from ${m.from}`, "signals");
  }

  /** A relayed signal for the direct links: a direct link's, or a child's hearing report (checked). */
  onSignalOrHearing(m: RelayedSignalMessage): void {
    if (m.data.direct === true) return this.onSignal(m);
    const peers = parseHearing(m.data);
    if (peers === null) this.host.problem("signals", `bad hearing report from ${m.from}`, "signals");
    else this.onHearing(m.from, peers);
  }

  /** A child's hearing report: those of its siblings it hears directly leave its down mix. */
  onHearing(from: string, peers: string[]): void {
    if (this.closed || this.host.childSlot(from) === null) return;
    this.childrenHear.set(from, peers);
    this.applyExcludes(from);
  }

  /** The children changed (slots, arrivals, departures): every child's exclusions again. */
  childrenChanged(children: readonly string[]): void {
    for (const c of [...this.childrenHear.keys()]) if (!children.includes(c)) this.childrenHear.delete(c);
    for (const c of this.childrenHear.keys()) this.applyExcludes(c);
  }

  /** The engine's packet for a direct peer's slot (its up packet). Hot path. */
  send(slot: number, bytes: Uint8Array, length: number, samples: number): void {
    for (const e of this.links.values()) {
      if (e.slot === slot) return void e.link.sendOpus(Buffer.from(bytes.buffer, bytes.byteOffset, length), samples);
    }
  }

  /** Per tick: the links read what waits on their sockets (PeerLinkOptions.receiveOnTick). */
  drain(): void {
    if (this.links.size > 0) for (const e of this.links.values()) e.link.drain();
  }

  /** Peers heard now: connected, a packet within heardWithinMs. */
  heard(nowMs: number): string[] {
    const out: string[] = [];
    for (const e of this.links.values()) if (e.link.state === "connected" && nowMs - e.lastRxMs <= DIRECT_DEFAULTS.heardWithinMs) out.push(e.peer);
    return out.sort();
  }

  toJSON(): DirectLinksStats {
    return {
      peers: [...this.links.values()].map((e) => ({ peer: e.peer, state: e.link.state, slot: e.slot })),
      heard: this.heard(performance.now()),
      childrenHear: Object.fromEntries(this.childrenHear),
      reports: this.reports,
    };
  }

  close(): Promise<unknown> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.reopening.values()) clearTimeout(t);
    const all = [...this.links.values()];
    this.links.clear();
    return Promise.allSettled(all.map((e) => e.link.close()));
  }

  private open(peer: string, role: "offerer" | "answerer"): DirectEntry | null {
    const slot = this.free.pop();
    if (slot === undefined) {
      this.host.problem("slots", `no engine slot left for direct peer ${peer}`, "slots");
      return null;
    }
    const link = new PeerLink({ ...this.host.linkOptions, role, label: `direct ${peer}` });
    this.host.paths?.attach(peer, link);
    const entry: DirectEntry = { peer, link, slot, lastRxMs: -Infinity };
    const engine = this.host.engine;
    engine.attachChild(slot);
    engine.setChildPeer(slot, true);
    link.on("signal", (s) => {
      const kind = s.kind === "offer" || s.kind === "answer" || s.kind === "candidate" ? s.kind : "other";
      this.host.sendSignal(peer, kind, { ...s, by: role, direct: true });
    });
    link.on("error", (e) => this.host.problem(`link direct ${peer}`, `${e.code}: ${e.message}`));
    // A link that fails (or that the peer closed) heals as the tree's do: the hub has the voice
    // back in its mix as soon as this node stops reporting it, and a new link is tried.
    link.on("state", (st) => {
      if ((st === "failed" || st === "closed") && this.links.get(peer) === entry) this.reopenLater(peer);
    });
    link.onOpus((seq, ts, payload, arrivalMs) => {
      if (this.links.get(peer) !== entry) return;
      entry.lastRxMs = arrivalMs;
      engine.receive(slot, seq, ts, payload, arrivalMs, this.host.arrivalTimingTrusted(arrivalMs));
    });
    this.links.set(peer, entry);
    return entry;
  }

  private reopenLater(peer: string): void {
    this.drop(peer);
    if (this.closed || this.reopening.has(peer)) return;
    const t = setTimeout(() => {
      this.reopening.delete(peer);
      if (!this.closed && this.wanted.includes(peer)) this.reconcile(this.wanted);
    }, DIRECT_DEFAULTS.reopenMs);
    t.unref?.();
    this.reopening.set(peer, t);
  }

  /** The link to a direct peer (tests cut or impair it). */
  linkTo(peer: string): PeerLink | null {
    return this.links.get(peer)?.link ?? null;
  }

  private drop(peer: string): void {
    const e = this.links.get(peer);
    if (!e) return;
    this.links.delete(peer);
    if (this.host.engine.isChildAttached(e.slot)) this.host.engine.detachChild(e.slot);
    this.free.push(e.slot);
    void e.link.close();
  }

  private applyExcludes(child: string): void {
    const slot = this.host.childSlot(child);
    if (slot === null) return;
    const others: number[] = [];
    for (const p of this.childrenHear.get(child) ?? []) {
      const s = this.host.childSlot(p);
      if (s !== null && s !== slot && others.length < DIRECT_DEFAULTS.slots) others.push(s);
    }
    try {
      this.host.engine.setChildExcludes(slot, others);
    } catch (err) {
      this.host.problem("direct", (err as Error).message);
    }
  }

  /** The hearing check: a report to the parent when what is heard changed, the parent did, or it is due. */
  private arm(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setInterval(() => this.check(), DIRECT_DEFAULTS.checkEveryMs);
    this.timer.unref?.();
  }

  private check(): void {
    const now = performance.now();
    const parent = this.host.parentId();
    if (parent === null) return;
    const heard = this.heard(now);
    const key = heard.join(",");
    if (key === this.reported && parent === this.reportedTo && now - this.reportedAt < DIRECT_DEFAULTS.reportEveryMs) return;
    this.reported = key;
    this.reportedTo = parent;
    this.reportedAt = now;
    this.reports++;
    this.host.sendSignal(parent, "other", { hearing: heard });
  }
}

/** What DirectLinks needs of a node (ChoirNode's runtime: its engine, links, ids and signaling). */
export interface DirectNode {
  readonly id: string | null;
  readonly parentId: string | null;
  readonly paths: PathDelays;
}

/** The direct links of a node whose tree links are `links` (the same options, signals and problems). */
export function directLinksOf(
  node: DirectNode,
  links: { host: Pick<DirectLinksHost, "engine" | "linkOptions" | "sendSignal" | "problem" | "arrivalTimingTrusted">; children: Map<string, { target: unknown }> },
  slotBase: number,
): DirectLinks {
  const h = links.host;
  return new DirectLinks(
    {
      engine: h.engine,
      linkOptions: h.linkOptions,
      paths: node.paths,
      myId: () => node.id,
      parentId: () => node.parentId,
      childSlot: (peer) => {
        const t = links.children.get(peer)?.target;
        return typeof t === "number" ? t : null;
      },
      sendSignal: (to, kind, data) => h.sendSignal(to, kind, data),
      problem: (where, message, counter) => h.problem(where, message, counter),
      arrivalTimingTrusted: (ms) => h.arrivalTimingTrusted(ms),
    },
    slotBase,
  );
}
