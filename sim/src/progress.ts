/** A one-line progress bar on a terminal stream, redrawn at most ten times a second. */
export class ProgressBar {
  #last = 0;
  #start = performance.now();
  #drawn = false;
  constructor(private readonly out: NodeJS.WriteStream) {}

  update(phase: string, done: number, total: number): void {
    const now = performance.now();
    if (now - this.#last < 100 && done < total) return;
    this.#last = now;
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const fill = Math.round(share * width);
    const secs = ((now - this.#start) / 1000).toFixed(1);
    this.out.write(`\r[${"#".repeat(fill)}${"-".repeat(width - fill)}] ${(share * 100).toFixed(0).padStart(3)}% ${phase.padEnd(16)} ${secs} s `);
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) this.out.write("\n");
  }
}
