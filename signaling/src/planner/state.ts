/**
 * The planner's state and its primitives: attach and detach subtrees, keep depths, modelled
 * delays and indexes current, choose parents, and record the moves of one operation (backups:
 * backups.ts). The planner is composed on it rather than derived from it: TreePlanner
 * (tree-planner.ts) places joins and leaves, and hands the same state to its parts, Growth
 * (growth.ts), Rebalancer (rebalance.ts) and Recovery (recovery.ts).
 */
import { VivaldiSpace, estimateOneWayMs, toUnitVec } from "../latency/index.js";
import { DepthBuckets } from "./buckets.js";
import { childCap } from "./caps.js";
import { shedOverloaded } from "./forwarded.js";
import { levelMsOf, type ResolvedPlannerOptions } from "./defaults.js";
import { PlannerError } from "./errors.js";
import { type PNode, cellOf, inSubtree, newSlot } from "./node.js";
import type { Move, PlannerNodeInfo } from "./types.js";
import { checkBackupLoad, invalidateBackup, refreshBackup, setBackup } from "./backups.js";

type Reason = Move["reason"];
/** When one operation changes a node twice, the move carries the weightiest reason. */
const REASON_RANK: Record<Reason, number> = { backup: 0, leave: 1, rebalance: 2, repair: 3, join: 4 };

export class PlannerState {
  readonly nodes = new Map<string, PNode>();
  root: PNode | null = null;
  /** Tops of waiting nodes or fragments, in arrival order. */
  waiting: PNode[] = [];
  /** Hubs with a free slot, by depth and place. */
  readonly open = new DepthBuckets((n) => n.openSlot);
  /** Childless weak nodes (non-hubs first of all) that a stronger joining hub may take the place of. */
  readonly leaves = new DepthBuckets((n) => n.leafSlot);
  /** Dedicated hubs with a free slot: singers go there first (see findParent). */
  readonly openDedicated = new DepthBuckets((n) => n.dedSlot);
  readonly vivaldi: VivaldiSpace;
  readonly weakCap: number;
  seq = 0;
  /** Smallest access delay of any node seen, for cost lower bounds. */
  minAccessMs = Infinity;
  /** Set once any node's Vivaldi coordinate is trusted. */
  anyTrusted = false;
  touched = new Map<PNode, Reason>();
  backupDirty = new Set<PNode>();
  /** Hubs whose spare slots shrank: their backup users may be too many. */
  loadDirty = new Set<PNode>();
  /** Placed non-root nodes without a backup, retried when capacity appears. */
  readonly noBackup = new Set<PNode>();

  constructor(readonly opts: ResolvedPlannerOptions) {
    this.vivaldi = new VivaldiSpace(opts.vivaldi);
    this.weakCap = Math.max(2, Math.floor(opts.maxFanout / 2));
  }

  createNode(info: PlannerNodeInfo): PNode {
    if (typeof info?.id !== "string" || info.id.length === 0) throw new PlannerError("invalid-node", "node id must be a non-empty string");
    if (this.nodes.has(info.id)) throw new PlannerError("duplicate-node", `node ${info.id} is already in the tree`);
    const loc = info.location;
    const hasLoc = loc !== undefined && Number.isFinite(loc.lat) && Number.isFinite(loc.lon) && Math.abs(loc.lat) <= 90;
    const access = Number.isFinite(info.accessMs) && (info.accessMs as number) >= 0
      ? (info.accessMs as number)
      : info.dedicated ? this.opts.dedicatedAccessMs : this.opts.defaultAccessMs;
    this.minAccessMs = Math.min(this.minAccessMs, access);
    const n: PNode = {
      id: info.id,
      pos: hasLoc ? toUnitVec(loc) : null,
      accessMs: access,
      info: { ...info, section: typeof info.section === "string" ? info.section : "" },
      cap: childCap(info, this.opts),
      parent: null,
      children: [],
      backup: null,
      backupUsers: new Set(),
      depth: -1,
      up: 0,
      top: null,
      cell: hasLoc ? cellOf(loc.lat, loc.lon) : -1,
      sectionCount: new Map(),
      seq: this.seq++,
      placedAt: this.opts.now(),
      waiting: false,
      openSlot: newSlot(),
      leafSlot: newSlot(),
      dedSlot: newSlot(),
    };
    this.nodes.set(n.id, n);
    this.vivaldi.add(n.id);
    n.viv = this.vivaldi.coordOf(n.id);
    return n;
  }

  get(id: string): PNode {
    const n = this.nodes.get(id);
    if (!n) throw new PlannerError("unknown-node", `no node ${id}`);
    return n;
  }

  // ---- estimates and costs -------------------------------------------------------------

  link(a: PNode, b: PNode): number {
    return estimateOneWayMs(a, b, this.vivaldi, this.opts.defaultLinkMs);
  }

  /** Cost of n under hub p: n's modelled delay to the root's mix, plus nudges for sections and weak hubs. */
  placeCost(n: PNode, p: PNode): number {
    // In a meshed top tier each top hub is where its region meets the others: a root to its joiners.
    const top = this.opts.meshTops === true && p.info.dedicated === true && (p.parent === null || (p.parent.parent === null && p.parent.info.dedicated === true));
    let c = (top ? 0 : p.up) + levelMsOf(this.opts) + this.link(p, n);
    // Regions: a subtree whose top is near n is where n's neighbours go too, so that they
    // meet low in the tree.
    if (p.top !== null && p.top !== p) c += this.opts.regionWeight * this.link(p.top, n);
    const sec = n.info.section;
    if (sec !== "") {
      const own = p.info.hasVoice ? 1 : 0;
      const total = p.children.length + own;
      const same = (p.sectionCount.get(sec) ?? 0) + (own && p.info.section === sec ? 1 : 0);
      c += this.opts.sectionWeightMs * (total === 0 ? 0.5 : 1 - same / total);
    }
    if (p.cap < this.opts.maxFanout) c += this.opts.weakHubWeightMs * (1 - p.cap / this.opts.maxFanout);
    // With direct neighbours, a dedicated hub whose leaves are close to n is worth what a direct
    // pair saves (planner/direct.ts): close singers gather under one hub and hear each other
    // directly. Not a singer's hub: pulled there, joiners deepened the tree (Europe-500 tree 73 ->
    // 82 ms at 20 ms of weight, 77 at 8); under dedicated hubs the top mesh's nearest pairs under
    // 30 ms go from 17.5 to 21 %.
    const per = this.opts.directPerSinger ?? 0;
    if (per > 0 && n.info.hasVoice && p.info.dedicated === true) {
      let near = 0;
      for (const x of p.children) if (near < per && x.children.length === 0 && x.info.hasVoice && this.link(x, n) <= this.opts.directMaxMs!) near++;
      c -= this.opts.directWeightMs! * (near / per);
    }
    return c;
  }

  /**
   * The best open hub for n (n's subtree excluded when it has one), searched near n in the
   * shallowest level with free slots and the one below it. While a dedicated hub has a free
   * slot, a node that is not itself dedicated goes under one unless a singer's hub is better
   * by more than dedicatedPreferenceMs: a data-centre hub costs no access delay on either
   * side, needs no singer's upload and does not go away with a singer.
   */
  findParent(n: PNode, exclude: PNode | null, accept?: (p: PNode) => boolean): PNode | null {
    const best = this.bestOpen(this.open, n, exclude, accept);
    if (this.openDedicated.size === 0 || n.info.dedicated || (best !== null && best.info.dedicated)) return best;
    const bestCost = this.lastCost;
    const ded = this.bestOpen(this.openDedicated, n, exclude, accept);
    if (ded !== null && (best === null || this.lastCost <= bestCost + this.opts.dedicatedPreferenceMs)) return ded;
    return best;
  }

  /** Hubs of a forwarded room that sit too deep for their children (forwarded.ts), and how a node is made to wait (TreePlanner's). */
  readonly over = new Set<PNode>();
  waitNode: (n: PNode) => void = () => {};
  /** Cost of the last bestOpen result. */
  lastCost = Infinity;

  bestOpen(index: DepthBuckets, n: PNode, exclude: PNode | null, accept?: (p: PNode) => boolean): PNode | null {
    let best: PNode | null = null;
    let bestCost = Infinity;
    this.lastCost = Infinity;
    const from = index.minDepth();
    if (from < 0) return null;
    let firstHit = -1;
    const max = index.maxDepth();
    for (let d = from; d <= max; d++) {
      if (firstHit >= 0 && (d > firstHit + 1 || bestCost <= this.depthLowerBound(d))) break;
      index.visitNear(d, n, (p) => {
        if (p === n || (exclude !== null && inSubtree(p, exclude)) || (accept && !accept(p))) return;
        const c = this.placeCost(n, p);
        if (c < bestCost) {
          bestCost = c;
          best = p;
        }
      });
      if (best !== null && firstHit < 0) firstHit = d;
    }
    this.lastCost = bestCost;
    return best;
  }

  /**
   * No hub at depth d can offer a cost below this: its own path to the root crosses d hubs
   * and d links, and the new link adds one more hub. Geographic links cost at least both
   * ends' access delays; Vivaldi estimates can be lower, so once any coordinate is trusted
   * the links count as free.
   */
  depthLowerBound(d: number): number {
    const perLink = this.anyTrusted ? 0 : 2 * this.minAccessMs;
    return (d + 1) * (levelMsOf(this.opts) + perLink);
  }

  /** A childless weak node at depth <= maxDepth whose place hub n could take, nearest the top. */
  findDisplaceable(n: PNode, maxDepth: number): PNode | null {
    const last = Math.min(maxDepth, this.leaves.maxDepth());
    for (let d = 1; d <= last; d++) {
      if (this.leaves.count(d) === 0) continue;
      let best: PNode | null = null;
      let bestCost = Infinity;
      this.leaves.visitNear(d, n, (y) => {
        if (y.cap + 2 > n.cap || y.parent === null || inSubtree(y, n)) return;
        const c = this.placeCost(n, y.parent) + this.link(n, y);
        if (c < bestCost) {
          bestCost = c;
          best = y;
        }
      });
      if (best !== null) return best;
    }
    return null;
  }

  // ---- structure -------------------------------------------------------------------------

  refreshIndexes(n: PNode): void {
    const placed = n.depth >= 0 && this.nodes.get(n.id) === n;
    if (placed && n.cap > n.children.length) {
      if (n.openSlot.depth !== n.depth) this.open.add(n, n.depth);
      if (n.info.dedicated && n.dedSlot.depth !== n.depth) this.openDedicated.add(n, n.depth);
    } else {
      this.open.remove(n);
      this.openDedicated.remove(n);
    }
    if (placed && n.depth > 0 && n.children.length === 0 && n.cap < this.weakCap && !n.info.dedicated) {
      if (n.leafSlot.depth !== n.depth) this.leaves.add(n, n.depth);
    } else this.leaves.remove(n);
    if (n.backupUsers.size > 0) this.loadDirty.add(n);
  }


  /** Depth and modelled delay of a subtree after its top moved. */
  settleSubtree(top: PNode): void {
    const stack = [top];
    while (stack.length > 0) {
      const n = stack.pop()!;
      const p = n.parent;
      if (n === this.root) {
        n.depth = 0;
        n.up = 0;
        n.top = null;
      } else if (p === null || p.depth < 0) {
        n.depth = -1;
        n.up = 0;
        n.top = null;
      } else {
        n.depth = p.depth + 1;
        n.up = p.up + this.link(p, n) + levelMsOf(this.opts);
        n.top = p.top ?? n;
      }
      // Forwarded rooms: what a hub can feed depends on how deep it sits (forwarded.ts).
      if (this.opts.forwardedDown && (n.cap = childCap(n.info, this.opts, n.depth)) < n.children.length) this.over.add(n);
      this.refreshIndexes(n);
      for (const c of n.children) stack.push(c);
    }
  }

  addChild(p: PNode, c: PNode, at = -1): void {
    c.parent = p;
    if (at >= 0) p.children.splice(at, 0, c);
    else p.children.push(c);
    const s = c.info.section;
    if (s !== "") p.sectionCount.set(s, (p.sectionCount.get(s) ?? 0) + 1);
  }

  /** Unlink c from its parent; returns c's former index among the parent's children. */
  removeChild(c: PNode): number {
    const p = c.parent;
    if (p === null) return -1;
    const i = p.children.indexOf(c);
    if (i >= 0) p.children.splice(i, 1);
    const s = c.info.section;
    if (s !== "") {
      const k = (p.sectionCount.get(s) ?? 1) - 1;
      if (k > 0) p.sectionCount.set(s, k);
      else p.sectionCount.delete(s);
    }
    c.parent = null;
    this.refreshIndexes(p);
    return i;
  }

  /**
   * True while n may not be moved to gain delay (moveCooldownMs): it was placed too recently.
   * A move costs a link set-up at both ends, a crossfade and a share of the new hub's CPU; a
   * gain measured on estimates that are still settling (the RTTs a newcomer reports) is not
   * worth that more than once a cooldown.
   */
  coolingDown(n: PNode): boolean {
    const c = this.opts.moveCooldownMs;
    return c > 0 && this.opts.now() - n.placedAt < c;
  }

  /** Move subtree s under p, keeping s's subtree as it is. */
  attach(s: PNode, p: PNode, reason: Reason): void {
    if (s.parent !== null) this.removeChild(s);
    this.addChild(p, s);
    s.placedAt = this.opts.now();
    s.waiting = false;
    this.settleSubtree(s);
    this.refreshIndexes(p);
    this.touch(s, reason);
    this.afterMove(s);
  }

  /**
   * Hub n takes y's place: n gets y's parent (or becomes the root) and y's children, and y
   * becomes n's child; n keeps any children of its own. n must be detached and able to hold
   * them all.
   */
  takePlace(n: PNode, y: PNode, reason: Reason): void {
    const p = y.parent;
    if (p !== null) {
      const at = this.removeChild(y);
      this.addChild(p, n, at);
    } else {
      this.root = n;
      n.parent = null;
    }
    const kids = y.children.slice();
    const now = this.opts.now();
    for (const k of kids) {
      this.removeChild(k);
      this.addChild(n, k);
      k.placedAt = now;
      this.touch(k, reason);
    }
    this.addChild(n, y);
    n.placedAt = now;
    y.placedAt = now;
    n.waiting = false;
    this.settleSubtree(n);
    if (p !== null) this.refreshIndexes(p);
    this.touch(n, reason === "rebalance" ? "rebalance" : "join");
    this.touch(y, reason);
    this.afterMove(n);
    if (n.backup !== null && inSubtree(n.backup, n)) invalidateBackup(this, n);
    this.backupDirty.add(y);
    for (const k of kids) this.backupDirty.add(k);
  }

  makeRoot(n: PNode, reason: Reason): void {
    if (n.parent !== null) this.removeChild(n);
    this.root = n;
    n.waiting = false;
    setBackup(this, n, null);
    this.noBackup.delete(n);
    this.settleSubtree(n);
    this.touch(n, reason);
  }

  /** After s's subtree moved: its own backup and its new ancestors' backups may now be invalid. */
  afterMove(s: PNode): void {
    this.backupDirty.add(s);
    for (let a = s.parent; a !== null; a = a.parent) {
      if (a.backup !== null && inSubtree(a.backup, s)) invalidateBackup(this, a);
    }
    // Nodes counting on s whose parent s now sits under: s would fall with that parent.
    for (const u of s.backupUsers) if (u.parent !== null && inSubtree(s, u.parent)) this.backupDirty.add(u);
  }


  



  // ---- moves -----------------------------------------------------------------------------

  touch(n: PNode, reason: Reason): void {
    const prev = this.touched.get(n);
    if (prev === undefined || REASON_RANK[reason] > REASON_RANK[prev]) this.touched.set(n, reason);
  }

  markBackupDirty(n: PNode): void {
    this.backupDirty.add(n);
  }

  /** Settle backups and turn the operation's changes into moves (the first touched first). */
  finish(): Move[] {
    if (this.over.size > 0) shedOverloaded(this);
    for (const b of this.loadDirty) checkBackupLoad(this, b);
    this.loadDirty.clear();
    for (let guard = 0; this.backupDirty.size > 0 && guard < 8; guard++) {
      const dirty = [...this.backupDirty];
      this.backupDirty.clear();
      for (const n of dirty) refreshBackup(this, n);
    }
    if (this.noBackup.size > 0 && this.open.size > 0) {
      let budget = 64;
      for (const n of [...this.noBackup]) {
        if (budget-- <= 0) break;
        refreshBackup(this, n);
      }
    }
    const moves: Move[] = [];
    for (const [n, reason] of this.touched) {
      if (this.nodes.get(n.id) !== n) continue;
      const m: Move = { node: n.id, parent: n.parent?.id ?? null, backup: n.backup?.id ?? null, reason };
      if (n.waiting || (n.depth < 0 && n !== this.root)) m.waiting = true;
      moves.push(m);
    }
    this.touched = new Map();
    return moves;
  }
}
