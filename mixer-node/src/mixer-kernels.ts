/**
 * The mixer's per-output kernels (mixer.ts): each writes one output from the float64 total and
 * the inputs to take out of it, with its peaks for the limiter. No allocation.
 */
import { SUB_BLOCK } from "./limiter.js";

// The helpers below return their peaks through arrays, not as return values: a double returned
// from (or passed to) a call V8 does not inline is boxed, i.e. allocated, on every call.

/** out = t - x; writes each sub-block's peak |out| into pk and the frame's into peaks[at]. */
export function subtract(out: Float32Array, t: Float64Array, x: Float32Array, n: number, pk: Float64Array, peaks: Float64Array, at: number): void {
  let peak = 0;
  for (let j = 0, s = 0; s < n; j++) {
    let m = 0;
    const end = Math.min(n, s + SUB_BLOCK);
    for (; s < end; s++) {
      const v = t[s] - x[s];
      out[s] = v;
      m = Math.max(m, Math.abs(v));
    }
    pk[j] = m;
    if (m > peak) peak = m;
  }
  peaks[at] = peak;
}

/** out = t - x - y (x a child's up mix, y the parent's down mix), peaks as subtract(). */
export function subtract2(out: Float32Array, t: Float64Array, x: Float32Array, y: Float32Array, n: number, pk: Float64Array, peaks: Float64Array, at: number): void {
  let peak = 0;
  for (let j = 0, s = 0; s < n; j++) {
    let m = 0;
    const end = Math.min(n, s + SUB_BLOCK);
    for (; s < end; s++) {
      const v = t[s] - x[s] - y[s];
      out[s] = v;
      m = Math.max(m, Math.abs(v));
    }
    pk[j] = m;
    if (m > peak) peak = m;
  }
  peaks[at] = peak;
}

/** out = t; writes each sub-block's peak |out| into pk and the frame's into peaks[at]. */
export function copy(out: Float32Array, t: Float64Array, n: number, pk: Float64Array, peaks: Float64Array, at: number): void {
  let peak = 0;
  for (let j = 0, s = 0; s < n; j++) {
    let m = 0;
    const end = Math.min(n, s + SUB_BLOCK);
    for (; s < end; s++) {
      const v = t[s];
      out[s] = v;
      m = Math.max(m, Math.abs(v));
    }
    pk[j] = m;
    if (m > peak) peak = m;
  }
  peaks[at] = peak;
}

/**
 * into = t - Σ the listed inputs, in float64: the inputs an output leaves out besides its own
 * (the voices its listener hears directly from their singers, or a node's direct peers on the
 * way up). Subtracting in float64 from the float64 total removes each exactly.
 */
export function totalLess(into: Float64Array, t: Float64Array, inputs: readonly Float32Array[], list: Int32Array, count: number, n: number): void {
  for (let s = 0; s < n; s++) into[s] = t[s];
  for (let k = 0; k < count; k++) {
    const x = inputs[list[k]];
    for (let s = 0; s < n; s++) into[s] -= x[s];
  }
}

/** total = Σ listed inputs, four inputs per pass so that total is loaded and stored less often. */
export function accumulate(t: Float64Array, list: readonly Float32Array[], listed: number, n: number): void {
  let j = 0;
  if (listed === 0) {
    t.fill(0);
    return;
  }
  // First pass writes rather than adds, which saves clearing the total.
  const r0 = listed & 3 || 4;
  if (r0 === 1) {
    const a = list[0];
    for (let s = 0; s < n; s++) t[s] = a[s];
  } else if (r0 === 2) {
    const a = list[0], b = list[1];
    for (let s = 0; s < n; s++) t[s] = a[s] + b[s];
  } else if (r0 === 3) {
    const a = list[0], b = list[1], c = list[2];
    for (let s = 0; s < n; s++) t[s] = a[s] + b[s] + c[s];
  } else {
    const a = list[0], b = list[1], c = list[2], d = list[3];
    for (let s = 0; s < n; s++) t[s] = a[s] + b[s] + c[s] + d[s];
  }
  j = r0;
  for (; j < listed; j += 4) {
    const a = list[j], b = list[j + 1], c = list[j + 2], d = list[j + 3];
    for (let s = 0; s < n; s++) t[s] += a[s] + b[s] + c[s] + d[s];
  }
}
