/**
 * The signaling side of one link: offer/answer and candidates over werift,
 * one step at a time in arrival order. Every failure becomes a `report`
 * call; nothing is thrown to the caller.
 */
import type { RTCPeerConnection } from "werift";
import { TransportError, type TransportErrorCode } from "./errors.js";
import type { CandidateInit, Signal } from "@choirmesh/protocol";

export interface NegotiationHooks {
  trickle: boolean;
  loopbackOnly: boolean;
  emitSignal(signal: Signal): void;
  report(code: TransportErrorCode, message: string, cause?: unknown): void;
  isClosing(): boolean;
}

export class Negotiation {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly hooks: NegotiationHooks,
  ) {
    pc.onIceCandidate.subscribe((c) => {
      if (!c || !hooks.trickle || hooks.isClosing()) return;
      const json = c.toJSON();
      if (hooks.loopbackOnly && !isLoopbackCandidate(json.candidate)) return;
      hooks.emitSignal({
        kind: "candidate",
        candidate: {
          candidate: json.candidate,
          sdpMid: json.sdpMid ?? null,
          sdpMLineIndex: json.sdpMLineIndex ?? null,
          ...(json.usernameFragment ? { usernameFragment: json.usernameFragment } : {}),
        },
      });
    });
  }

  offer(iceRestart: boolean): void {
    this.enqueue(async () => {
      const offer = await this.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
      await this.publishLocal(offer.sdp, "offer");
    });
  }

  answer(sdp: string): void {
    this.enqueue(async () => {
      await this.pc.setRemoteDescription({ type: "offer", sdp });
      const answer = await this.pc.createAnswer();
      await this.publishLocal(answer.sdp, "answer");
      this.resumeIceAfterRestart();
    });
  }

  acceptAnswer(sdp: string): void {
    this.enqueue(async () => {
      if (this.pc.signalingState !== "have-local-offer") {
        this.hooks.report("unexpected-signal", `an answer in signaling state ${this.pc.signalingState}`);
        return;
      }
      await this.pc.setRemoteDescription({ type: "answer", sdp });
      this.resumeIceAfterRestart();
    });
  }

  addCandidate(candidate: CandidateInit): void {
    this.enqueue(() =>
      this.pc.addIceCandidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? undefined,
        sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
        usernameFragment: candidate.usernameFragment ?? undefined,
      }),
    );
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.hooks.isClosing()) return;
      try {
        await step();
      } catch (err) {
        if (!this.hooks.isClosing()) this.hooks.report("negotiation-failed", "a signaling step failed", err);
      }
    });
  }

  /**
   * Trickle: the description goes out before gathering, candidates follow as
   * werift finds them. Otherwise the description goes out after gathering,
   * with every candidate inside it.
   */
  private async publishLocal(sdp: string, kind: "offer" | "answer"): Promise<void> {
    if (this.hooks.trickle) {
      this.hooks.emitSignal({ kind, sdp });
      await this.pc.setLocalDescription({ type: kind, sdp });
    } else {
      await this.pc.setLocalDescription({ type: kind, sdp });
      const full = this.pc.localDescription?.sdp;
      if (full === undefined) throw new TransportError("negotiation-failed", "no local description after gathering");
      this.hooks.emitSignal({ kind, sdp: this.hooks.loopbackOnly ? keepLoopbackCandidates(full) : full });
    }
  }

  /**
   * werift 0.24 restarts the ICE agent on new credentials but then skips the
   * checks because DTLS is still connected (`RTCPeerConnection.connect`
   * returns early), leaving no nominated pair: media stops for good. We run
   * the checks ourselves when a live DTLS sits on an ICE agent with no
   * nominated pair and no checks running. (werift's agent reports
   * "completed" as soon as gathering ends, so its state cannot tell.)
   * Note: that skipped connect() still reports "connected" at once, so the
   * link says "connected" through a restart (even out of "failed") while
   * werift drops sends until the new pair is nominated (tens of ms here).
   */
  private resumeIceAfterRestart(): void {
    for (const dtls of this.pc.dtlsTransports) {
      const ice = dtls.iceTransport;
      if (dtls.state !== "connected" || ice.state === "checking" || ice.connection.nominated) continue;
      ice.start().catch((err: unknown) => {
        if (!this.hooks.isClosing()) this.hooks.report("negotiation-failed", "ICE checks after a restart failed", err);
      });
    }
  }
}

function isLoopbackCandidate(line: string): boolean {
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...
  return line.split(" ")[4] === "127.0.0.1";
}

function keepLoopbackCandidates(sdp: string): string {
  return sdp
    .split("\r\n")
    .filter((l) => !l.startsWith("a=candidate:") || isLoopbackCandidate(l.slice(2)))
    .join("\r\n");
}
