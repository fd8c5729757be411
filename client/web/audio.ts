/**
 * The page's audio: the microphone, the input level meter, playback of what the singer hears,
 * and a spectrum analysis of that playback (which voices are in it, how loud).
 */
import { microphoneNotice, type Notice } from "./messages.js";
import { ChoirmeshError } from "@choirmesh/common/errors";

export class MicrophoneError extends ChoirmeshError<"microphone"> {
  constructor(readonly notice: Notice) {
    super("microphone", notice.text);
  }
}

/**
 * Opens the microphone. Voice processing (echo cancellation, noise suppression, auto gain) is
 * off by default: it treats a held note as noise and pumps its level. With headphones nothing
 * is lost; with loudspeakers the singer turns it on.
 */
export async function openMicrophone(voiceProcessing: boolean): Promise<MediaStream> {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    throw new MicrophoneError(microphoneNotice({ name: "InsecureContext" }));
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: {
        echoCancellation: voiceProcessing,
        noiseSuppression: voiceProcessing,
        autoGainControl: voiceProcessing,
        channelCount: 1,
      },
      video: false,
    });
  } catch (err) {
    throw new MicrophoneError(microphoneNotice(err));
  }
}

const dB = (x: number) => (x > 0 ? 20 * Math.log10(x) : -Infinity);

/** Peak and RMS level of a stream, read on demand from an AnalyserNode. */
export class LevelMeter {
  private readonly source: MediaStreamAudioSourceNode;
  private readonly analyser: AnalyserNode;
  private readonly buf: Float32Array<ArrayBuffer>;

  constructor(ctx: AudioContext, stream: MediaStream) {
    this.source = ctx.createMediaStreamSource(stream);
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 2048;
    this.buf = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser);
  }

  read(): { peakDb: number; rmsDb: number } {
    this.analyser.getFloatTimeDomainData(this.buf);
    let peak = 0;
    let sum = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const v = this.buf[i];
      const a = Math.abs(v);
      if (a > peak) peak = a;
      sum += v * v;
    }
    return { peakDb: dB(peak), rmsDb: dB(Math.sqrt(sum / this.buf.length)) };
  }

  dispose(): void {
    this.source.disconnect();
  }
}

/**
 * Average spectrum of a stream since the last reset: the AnalyserNode's spectrum is read every
 * `pollMs` and its power summed per bin, so a keyed tone (on half the time) reads its average
 * power. `levels(freqs)` gives dBFS at those frequencies (the strongest bin within ±2 bins).
 */
export class SpectrumAverage {
  readonly analyser: AnalyserNode;
  private readonly source: MediaStreamAudioSourceNode;
  private readonly frame: Float32Array<ArrayBuffer>;
  private readonly sum: Float64Array;
  private frames = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(ctx: AudioContext, stream: MediaStream, fftSize: number, pollMs: number) {
    this.source = ctx.createMediaStreamSource(stream);
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = fftSize;
    this.analyser.smoothingTimeConstant = 0;
    this.analyser.minDecibels = -140;
    this.analyser.maxDecibels = 0;
    this.source.connect(this.analyser);
    this.frame = new Float32Array(this.analyser.frequencyBinCount);
    this.sum = new Float64Array(this.analyser.frequencyBinCount);
    this.timer = setInterval(() => this.poll(), pollMs);
  }

  private poll(): void {
    this.analyser.getFloatFrequencyData(this.frame);
    for (let i = 0; i < this.frame.length; i++) {
      const v = this.frame[i];
      if (Number.isFinite(v)) this.sum[i] += 10 ** (v / 10);
    }
    this.frames++;
  }

  reset(): void {
    this.sum.fill(0);
    this.frames = 0;
  }

  get framesAveraged(): number {
    return this.frames;
  }

  /** Average level at each frequency, dBFS (-Infinity before any frame). */
  levels(freqs: readonly number[]): number[] {
    const binHz = this.analyser.context.sampleRate / this.analyser.fftSize;
    return freqs.map((f) => {
      if (this.frames === 0) return -Infinity;
      const c = Math.round(f / binHz);
      let best = 0;
      for (let b = Math.max(0, c - 2); b <= Math.min(this.sum.length - 1, c + 2); b++) best = Math.max(best, this.sum[b]);
      return best > 0 ? 10 * Math.log10(best / this.frames) : -Infinity;
    });
  }

  /** The `n` strongest local maxima of the average spectrum: [Hz, dBFS]. */
  peaks(n: number): [number, number][] {
    if (this.frames === 0) return [];
    const binHz = this.analyser.context.sampleRate / this.analyser.fftSize;
    const out: [number, number][] = [];
    for (let b = 1; b < this.sum.length - 1; b++) {
      const v = this.sum[b];
      if (v > 0 && v >= this.sum[b - 1] && v > this.sum[b + 1]) out.push([b * binHz, 10 * Math.log10(v / this.frames)]);
    }
    return out.sort((a, b) => b[1] - a[1]).slice(0, n);
  }

  dispose(): void {
    clearInterval(this.timer);
    this.source.disconnect();
  }
}

/**
 * What the singer hears, summed from the tracks of its link: the parent's own mix and, on the
 * forwarded down path, one track per level above (docs/design.md, "The cheap hop"). Each
 * remote track is decoded and jitter-buffered by the browser's own WebRTC stack; here they are
 * summed in WebAudio into one local stream, which Playback plays and the meters read. Chromium
 * hands a remote track to WebAudio only while it is also attached to a media element: each gets
 * a muted one.
 */
export class HearingMix {
  readonly stream: MediaStream;
  private readonly dest: MediaStreamAudioDestinationNode;
  private readonly sources: MediaStreamAudioSourceNode[] = [];
  private readonly sinks: HTMLAudioElement[] = [];

  constructor(ctx: AudioContext, tracks: readonly MediaStreamTrack[]) {
    this.dest = ctx.createMediaStreamDestination();
    this.dest.channelCount = 1;
    for (const track of tracks) {
      const single = new MediaStream([track]);
      const sink = new Audio();
      sink.muted = true;
      sink.srcObject = single;
      sink.play().catch(() => {
        // Autoplay refused: the muted element is only there to feed WebAudio; the Join click lets it.
      });
      this.sinks.push(sink);
      const src = ctx.createMediaStreamSource(single);
      src.connect(this.dest);
      this.sources.push(src);
    }
    this.stream = this.dest.stream;
  }

  get tracks(): number {
    return this.sources.length;
  }

  dispose(): void {
    for (const s of this.sources) s.disconnect();
    for (const e of this.sinks) e.srcObject = null;
    this.sources.length = 0;
    this.sinks.length = 0;
  }
}

/**
 * Plays what the singer hears. Chromium hands a remote WebRTC stream to WebAudio only while the
 * stream is also attached to a media element, so the element both plays and feeds the analysis.
 */
export class Playback {
  private stream: MediaStream | null = null;

  constructor(private readonly element: HTMLAudioElement) {
    element.autoplay = true;
  }

  play(stream: MediaStream): void {
    if (this.stream === stream) return;
    this.stream = stream;
    this.element.srcObject = stream;
    this.element.play().catch(() => {
      // Autoplay refused until a gesture: the Join click counts, so this is rare; the element's
      // own controls remain.
    });
  }

  stop(): void {
    this.stream = null;
    this.element.srcObject = null;
  }

  set volume(v: number) {
    this.element.volume = Math.max(0, Math.min(1, v));
  }
}
