/**
 * Who may do what: the join-rate limit per address, resume tokens, room tokens, who may run a
 * dedicated hub, and how many rooms one address keeps open. Answers with a refusal (an error
 * code and a reason) or with what the joiner is granted; it never touches a room.
 */
import { randomBytes } from "node:crypto";
import type { ErrorCode, JoinMessage, TreeRequestMessage } from "@choirmesh/protocol";
import type { SignalingOptions } from "./defaults.js";
import { createLogger } from "@choirmesh/common/log";
import type { NodeId } from "./planner/types.js";
import { KeyedRateLimiter } from "./rate-limit.js";
import { createResumeToken, verifyResumeToken, verifyRoomToken } from "./tokens.js";

const log = createLogger("signaling");

export interface Refusal {
  ok: false;
  code: ErrorCode;
  message: string;
}

export interface JoinGrant {
  ok: true;
  /** The node id a valid resume token stands for. */
  resumeId: NodeId | undefined;
  /** Whether the node joins as a dedicated hub (asked for, and allowed). */
  dedicated: boolean;
}

const refuse = (code: ErrorCode, message: string): Refusal => ({ ok: false, code, message });

export class Access {
  private readonly joinLimiter: KeyedRateLimiter;
  /** Rooms each address has opened that are still open. */
  private readonly roomsByIp = new Map<string, number>();
  private readonly resumeKey: string;

  constructor(private readonly opts: SignalingOptions) {
    this.resumeKey = opts.resumeSecret ?? opts.secret ?? randomBytes(32).toString("hex");
    this.joinLimiter = new KeyedRateLimiter(opts.joinRatePerIp);
  }

  private get dedicatedPolicy(): "token" | "anyone" {
    return this.opts.dedicatedHubs ?? (this.opts.secret !== undefined ? "token" : "anyone");
  }

  /** A join from `ip`: refused, or granted with the id its resume token stands for. */
  admitJoin(ip: string, msg: JoinMessage, now: number): JoinGrant | Refusal {
    if (!this.joinLimiter.take(ip, now)) return refuse("join-rate-limited", "too many joins from this address");
    if (msg.restore !== undefined && msg.resume === undefined) {
      return refuse("restore-refused", "restore names a node's own place and needs its resume token");
    }
    // A valid resume token is access in itself: a room token may expire mid-rehearsal.
    let resumeId: NodeId | undefined;
    let dedicatedGrant = false;
    if (msg.resume !== undefined) {
      const r = verifyResumeToken(msg.resume, this.resumeKey, msg.room, now);
      if (r.ok) {
        resumeId = r.node;
        dedicatedGrant = r.dedicated;
      } else if (this.opts.secret !== undefined && msg.token === undefined) {
        // Nothing else gives access here: say what is wrong with the token that was given.
        return refuse(r.code, `resume token: ${r.message}`);
      } else log.debug("resume token ignored", { room: msg.room, reason: r.message });
    }
    if (resumeId === undefined && this.opts.secret !== undefined) {
      if (msg.token === undefined) return refuse("token-required", "this server needs a room token");
      const t = verifyRoomToken(msg.token, this.opts.secret, msg.room, now);
      if (!t.ok) return refuse(t.code, t.message);
      dedicatedGrant = t.dedicated;
    }
    if (msg.dedicated === true && this.dedicatedPolicy === "token" && !dedicatedGrant) {
      return refuse("dedicated-refused", "joining as a dedicated hub needs a token that grants it (token --dedicated)");
    }
    return { ok: true, resumeId, dedicated: msg.dedicated === true };
  }

  /** The node a join's resume token names, when the token is valid (no limit is taken). */
  resumeNode(msg: JoinMessage, now: number): NodeId | undefined {
    if (msg.resume === undefined) return undefined;
    const r = verifyResumeToken(msg.resume, this.resumeKey, msg.room, now);
    return r.ok ? r.node : undefined;
  }

  /** A tree request from a socket that has not joined (a director's view): refused, or null. */
  admitTree(msg: TreeRequestMessage & { room: string }, now: number): Refusal | null {
    if (this.opts.secret === undefined) return null;
    if (msg.token === undefined) return refuse("token-required", "this server needs a room token");
    const t = verifyRoomToken(msg.token, this.opts.secret, msg.room, now);
    return t.ok ? null : refuse(t.code, t.message);
  }

  /** Whether `ip` may open another room (maxRoomsPerIp). */
  mayOpenRoom(ip: string): Refusal | null {
    if ((this.roomsByIp.get(ip) ?? 0) >= this.opts.maxRoomsPerIp) {
      return refuse("address-limit", `this address keeps ${this.opts.maxRoomsPerIp} rooms open already`);
    }
    return null;
  }

  roomOpened(ip: string): void {
    this.roomsByIp.set(ip, (this.roomsByIp.get(ip) ?? 0) + 1);
  }

  roomClosed(ip: string): void {
    const opened = (this.roomsByIp.get(ip) ?? 1) - 1;
    if (opened > 0) this.roomsByIp.set(ip, opened);
    else this.roomsByIp.delete(ip);
  }

  /** The token a node presents later to get its id and place back. */
  resumeToken(room: string, node: NodeId, dedicated: boolean, now: number): string {
    return createResumeToken({ room, node, secret: this.resumeKey, ttlSec: this.opts.resumeTtlSec, nowMs: now, dedicated });
  }

  /** Forgets join-rate buckets that have refilled, so the map stays small. */
  prune(now: number): void {
    this.joinLimiter.prune(now);
  }
}
