/** The part of simple-peer 9 the page uses (the package ships no types). */
declare module "simple-peer" {
  interface SimplePeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    stream?: MediaStream;
    streams?: MediaStream[];
    config?: RTCConfiguration;
    offerOptions?: RTCOfferOptions;
    answerOptions?: RTCAnswerOptions;
    sdpTransform?: (sdp: string) => string;
    iceCompleteTimeout?: number;
  }
  type SignalData = Record<string, unknown>;
  class SimplePeer {
    constructor(opts?: SimplePeerOptions);
    readonly destroyed: boolean;
    readonly connected: boolean;
    _pc: RTCPeerConnection;
    signal(data: SignalData | string): void;
    replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack, stream: MediaStream): void;
    destroy(err?: Error): void;
    on(event: "signal", fn: (data: SignalData) => void): this;
    on(event: "connect" | "close", fn: () => void): this;
    on(event: "error", fn: (err: Error & { code?: string }) => void): this;
    on(event: "stream", fn: (stream: MediaStream) => void): this;
    on(event: "track", fn: (track: MediaStreamTrack, stream: MediaStream) => void): this;
    on(event: string, fn: (...args: any[]) => void): this;
    removeAllListeners(event?: string): this;
  }
  export default SimplePeer;
}
