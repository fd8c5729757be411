/**
 * Node globals that simple-peer's dependencies (readable-stream, buffer) expect, injected by
 * esbuild into the browser bundle.
 */
import { Buffer } from "buffer";

export const process = {
  browser: true,
  env: {} as Record<string, string | undefined>,
  version: "",
  versions: {} as Record<string, string>,
  nextTick(fn: (...args: unknown[]) => void, ...args: unknown[]): void {
    queueMicrotask(() => fn(...args));
  },
};

export { Buffer };
