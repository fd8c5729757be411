/**
 * Room and tree state behind a small interface. The server talks only to RoomStore and
 * RoomState; InMemoryRoomStore is the default. A shared store (for rooms that outgrow one
 * process) implements the same interface; sockets never live here, only what a room is.
 *
 * What a room is, as data a shared store can hold, is its RoomRecord: name, media, epoch,
 * members and the tree as PlannerData. The live planner a RoomState hands out is this process's
 * working copy, rebuilt from a record (`InMemoryRoomStore.load`) when a process takes a room over.
 */
import { randomBytes } from "node:crypto";
import type { MediaSettings } from "@choirmesh/protocol";
import { TreePlanner } from "./planner/tree-planner.js";
import type { NodeId, PlannerData, PlannerOptions } from "./planner/types.js";

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

/** A room as plain data (JSON-safe). */
export interface RoomRecord {
  name: string;
  media: MediaSettings;
  epoch: number;
  members: MemberRecord[];
  tree: PlannerData;
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
  /** The room as plain data. */
  toRecord(): RoomRecord;
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
    planner: Partial<PlannerOptions> | TreePlanner,
  ) {
    this.planner = planner instanceof TreePlanner ? planner : new TreePlanner(planner);
  }

  static fromRecord(r: RoomRecord): InMemoryRoom {
    const room = new InMemoryRoom(r.name, { ...r.media }, TreePlanner.fromData(r.tree));
    for (const m of r.members) room.addMember({ ...m });
    room.version = r.epoch;
    return room;
  }

  toRecord(): RoomRecord {
    return { name: this.name, media: { ...this.media }, epoch: this.version, members: [...this.byId.values()].map((m) => ({ ...m })), tree: this.planner.toData() };
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
  /** Opens a room from its record (another process held it); throws when it exists. */
  load(record: RoomRecord): RoomState {
    if (this.byName.has(record.name)) throw new Error(`room ${record.name} exists`);
    const r = InMemoryRoom.fromRecord(record);
    this.byName.set(record.name, r);
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
