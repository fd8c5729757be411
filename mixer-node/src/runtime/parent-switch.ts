/**
 * The states of a node's upward media link and every legal transition between them, in one place.
 * Pure: time comes in as arguments, and what to do goes out through `ParentSwitchActions`, which
 * the link layer (node-links.ts) implements by opening and closing links and by driving the
 * engine's parent slots (HubEngine). The link layer never decides a switch on its own, and
 * nothing here runs per packet: a packet of the incoming link is only noted, and the decision to
 * switch is taken once per tick.
 *
 *   state       links                                  engine's parent slots
 *   none        no parent link                         parent = null
 *   attached    parent link carries the media          parent = its stream
 *   switching   old parent still carries the media;    parent = old stream,
 *               the incoming link is set up, its        nextParent = warming the new one, unheard
 *               packets warm the prepared stream
 *
 *   none      -- announce(p)                          -> attached(p)      actions.open(p)
 *   attached  -- announce(null)                       -> none             actions.drop(old)
 *   attached  -- announce(q), make-before-break       -> switching(old,q) actions.begin(q)
 *   attached  -- announce(q), break first             -> attached(q)      actions.drop(old), actions.open(q)
 *   switching -- announce(old)   (moved back)         -> attached(old)    actions.cancel(q)
 *   switching -- announce(r)     (a second move)      -> the first move completes when its media
 *                                                        flows or the old parent is quiet, else it
 *                                                        is cancelled; then as from attached
 *   switching -- tick: new media flowed settleMs,
 *                or the old parent fell quiet          -> attached(q)      actions.complete(old, q, true)
 *   switching -- tick: timeoutMs passed               -> attached(q)      actions.complete(old, q, false)
 *   switching -- the old parent's link ended          -> attached(q)      actions.complete(old, q, false)
 *   any       -- close()                              -> none             (the link layer closes all)
 *
 * "Make-before-break" applies when the option is on, the node has a parent, and either the new
 * parent is not the warm standby or the old parent still plays: a failover to the standby after
 * the parent died goes at once (the standby's link is already up). `swapParent` then crossfades
 * the engine from the old stream to the warm one within one frame, and the old parent's link
 * closes: a planned move costs no silent frame.
 */

export type ParentSwitchState =
  | { readonly kind: "none" }
  | { readonly kind: "attached"; readonly parent: string }
  | { readonly kind: "switching"; readonly parent: string; readonly incoming: string; readonly startedMs: number };

/** What the link layer does when the machine moves. Each call is one transition's effect. */
export interface ParentSwitchActions {
  /** A link to `peer` that carries the media at once (the standby's link when `viaStandby`); the engine attaches a parent stream. */
  open(peer: string, viaStandby: boolean): void;
  /** The parent link to `peer` closes and the engine detaches (fades out) its stream. */
  drop(peer: string): void;
  /** A link to the new parent `peer` is set up (or the standby's taken) while the old one plays; the engine prepares a stream. */
  begin(peer: string, viaStandby: boolean): void;
  /** The incoming link becomes the parent, the old one closes, the engine crossfades (swapParent). */
  complete(oldPeer: string, newPeer: string, heardNew: boolean): void;
  /** The incoming link closes and the engine drops the prepared stream. */
  cancel(peer: string): void;
}

/** What the link layer knows when the server announces a parent. */
export interface AnnounceFacts {
  /** Whether the current parent's media arrived lately (a planned move, not a failover); asked after any switch under way has ended. */
  parentHealthy(): boolean;
  /** The peer of the warm standby link, if one is up. */
  standby: string | null;
}

export interface ParentSwitchOptions {
  makeBeforeBreak: boolean;
  /** Switch once the new parent's media has flowed this long, ms (past the burst a link's first packets come in). */
  settleMs: number;
  /** Switch anyway after this long, ms. */
  timeoutMs: number;
  /** The old parent counts as quiet after this long without a packet, ms (3 frames). */
  quietMs: number;
}

export class ParentSwitch {
  private s: ParentSwitchState = { kind: "none" };
  /** Arrival of the incoming link's first packet, -1 before. */
  private firstRxMs = -1;

  constructor(
    private readonly opts: ParentSwitchOptions,
    private readonly actions: ParentSwitchActions,
  ) {}

  get state(): ParentSwitchState {
    return this.s;
  }

  /** The parent whose link carries the media now. */
  get parent(): string | null {
    return this.s.kind === "none" ? null : this.s.parent;
  }

  /** The parent the server announced last (the incoming one while a switch is under way). */
  get wanted(): string | null {
    return this.s.kind === "switching" ? this.s.incoming : this.parent;
  }

  get incoming(): string | null {
    return this.s.kind === "switching" ? this.s.incoming : null;
  }

  /** Whether the incoming link's media has started. */
  get incomingHeard(): boolean {
    return this.s.kind === "switching" && this.firstRxMs >= 0;
  }

  /** The server announced `parent` (null: none; the root, or waiting for a place). */
  announce(parent: string | null, facts: AnnounceFacts, nowMs: number): void {
    if (parent === this.wanted) return;
    if (this.s.kind === "switching") {
      // A second move while the first is under way (a leaving hub's children may get two in a
      // row): take the link that was coming when its media already flows (its peer keeps sending
      // to a departing child) or the old parent has gone quiet; else call the first move off.
      if (this.firstRxMs >= 0 || !facts.parentHealthy()) this.completeSwitch(this.firstRxMs >= 0);
      else this.cancelSwitch();
      if (parent === this.parent) return; // moved back before the switch: the old link plays on
    }
    const current = this.parent;
    const viaStandby = facts.standby === parent;
    if (parent !== null && current !== null && this.opts.makeBeforeBreak && (!viaStandby || facts.parentHealthy())) {
      this.s = { kind: "switching", parent: current, incoming: parent, startedMs: nowMs };
      this.firstRxMs = -1;
      this.actions.begin(parent, viaStandby);
      return;
    }
    if (current !== null) {
      this.s = { kind: "none" };
      this.actions.drop(current);
    }
    if (parent !== null) {
      this.s = { kind: "attached", parent };
      this.actions.open(parent, viaStandby);
    }
  }

  /** A packet of the incoming link arrived (called per packet: it only notes the time). */
  noteIncomingPacket(arrivalMs: number): void {
    if (this.firstRxMs < 0) this.firstRxMs = arrivalMs;
  }

  /**
   * Once per tick, before the engine mixes: completes a switch whose new media has flowed for
   * settleMs (or whose old parent fell quiet: it left or died), or that timed out.
   * `oldLastRxMs`: the old parent's last packet.
   */
  tick(nowMs: number, oldLastRxMs: number): void {
    if (this.s.kind !== "switching") return;
    if (this.firstRxMs >= 0 && (nowMs - this.firstRxMs >= this.opts.settleMs || nowMs - oldLastRxMs > this.opts.quietMs)) this.completeSwitch(true);
    else if (nowMs - this.s.startedMs >= this.opts.timeoutMs) this.completeSwitch(false);
  }

  /** The old parent's link ended (closed, failed or disconnected) while a switch was under way. */
  oldParentEnded(): void {
    if (this.s.kind === "switching") this.completeSwitch(false);
  }

  /** The node closes: forget everything (the link layer closes every link itself). */
  close(): void {
    this.s = { kind: "none" };
    this.firstRxMs = -1;
  }

  private completeSwitch(heardNew: boolean): void {
    if (this.s.kind !== "switching") return;
    const { parent, incoming } = this.s;
    this.s = { kind: "attached", parent: incoming };
    this.firstRxMs = -1;
    this.actions.complete(parent, incoming, heardNew);
  }

  private cancelSwitch(): void {
    if (this.s.kind !== "switching") return;
    const { parent, incoming } = this.s;
    this.s = { kind: "attached", parent };
    this.firstRxMs = -1;
    this.actions.cancel(incoming);
  }
}
