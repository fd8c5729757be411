/**
 * Room and tree state behind a small interface. The server talks only to RoomStore and
 * RoomState; InMemoryRoomStore is the default. A shared store (for rooms that outgrow one
 * process) implements the same interface; sockets never live here, only what a room is.
 */
import { randomBytes } from "node:crypto";
import type { MediaSettings } from "@choirmesh/protocol";
import { TreePlanner } from "./planner/tree-planner.js";
import type { NodeId, PlannerOptions } from "./planner/types.js";

/** What the room remembers of a member (the join's self-description). */
export interface MemberRecord {
  id: NodeId;
  name: string;
  section: string;
  canHub: boolean;
  uploadKbps: number;
  hasVoice: boolean;
  dedicated: boolean;
  joinedAt: number;
}

export interface RoomState {
  readonly name: string;
  readonly media: MediaSettings;
  /** The room's tree: the planner is the single source of truth for parents and children. */
  readonly planner: TreePlanner;
  /** Tree version: bumped by every change the server announces. */
  readonly epoch: number;
  bumpEpoch(): number;
  readonly size: number;
  member(id: NodeId): MemberRecord | undefined;
  addMember(m: MemberRecord): void;
  removeMember(id: NodeId): boolean;
  members(): IterableIterator<MemberRecord>;
  /** A fresh id, unused in this room. */
  newNodeId(): NodeId;
}

export interface RoomStore {
  get(room: string): RoomState | undefined;
  /** Opens a room; throws when it exists. */
  create(room: string, media: MediaSettings, planner: Partial<PlannerOptions>): RoomState;
  delete(room: string): boolean;
  rooms(): IterableIterator<RoomState>;
  readonly size: number;
}

class InMemoryRoom implements RoomState {
  readonly planner: TreePlanner;
  private readonly byId = new Map<NodeId, MemberRecord>();
  private version = 0;

  constructor(
    readonly name: string,
    readonly media: MediaSettings,
    plannerOptions: Partial<PlannerOptions>,
  ) {
    this.planner = new TreePlanner(plannerOptions);
  }

  get epoch(): number {
    return this.version;
  }
  bumpEpoch(): number {
    return ++this.version;
  }
  get size(): number {
    return this.byId.size;
  }
  member(id: NodeId): MemberRecord | undefined {
    return this.byId.get(id);
  }
  addMember(m: MemberRecord): void {
    if (this.byId.has(m.id)) throw new Error(`member ${m.id} already in room ${this.name}`);
    this.byId.set(m.id, m);
  }
  removeMember(id: NodeId): boolean {
    return this.byId.delete(id);
  }
  members(): IterableIterator<MemberRecord> {
    return this.byId.values();
  }
  newNodeId(): NodeId {
    for (;;) {
      const id = "n" + randomBytes(6).toString("base64url");
      if (!this.byId.has(id)) return id;
    }
  }
}

export class InMemoryRoomStore implements RoomStore {
  private readonly byName = new Map<string, RoomState>();

  get(room: string): RoomState | undefined {
    return this.byName.get(room);
  }
  create(room: string, media: MediaSettings, planner: Partial<PlannerOptions>): RoomState {
    if (this.byName.has(room)) throw new Error(`room ${room} exists`);
    const r = new InMemoryRoom(room, { ...media }, planner);
    this.byName.set(room, r);
    return r;
  }
  delete(room: string): boolean {
    return this.byName.delete(room);
  }
  rooms(): IterableIterator<RoomState> {
    return this.byName.values();
  }
  get size(): number {
    return this.byName.size;
  }
}
