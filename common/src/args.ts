/**
 * Command lines, all on node:util's parseArgs: `parseCommandLine` runs it strictly (an unknown
 * flag or a missing value is a UsageError) and `numberArg` reads a number with its bounds. The
 * CLIs catch UsageError, print its message and exit with status 2.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs with strict checking; its own errors become UsageErrors with the same message. */
export function parseCommandLine<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export interface NumberBounds {
  min?: number;
  max?: number;
  integer?: boolean;
  /** The only values allowed. */
  oneOf?: readonly number[];
}

/** `--name`'s value as a number within its bounds, `fallback` when absent. */
export function numberArg(name: string, raw: string | undefined, fallback: number, b?: NumberBounds): number;
export function numberArg(name: string, raw: string | undefined, fallback?: undefined, b?: NumberBounds): number | undefined;
export function numberArg(name: string, raw: string | undefined, fallback?: number, b: NumberBounds = {}): number | undefined {
  if (raw === undefined) return fallback;
  const x = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(x)) throw new UsageError(`--${name} needs a number, got ${JSON.stringify(raw)}`);
  if (b.integer && !Number.isInteger(x)) throw new UsageError(`--${name} must be an integer, got ${raw}`);
  if (b.oneOf && !b.oneOf.includes(x)) throw new UsageError(`--${name} must be one of ${b.oneOf.join(", ")}, got ${raw}`);
  if (b.min !== undefined && x < b.min) throw new UsageError(`--${name} must be at least ${b.min}, got ${raw}`);
  if (b.max !== undefined && x > b.max) throw new UsageError(`--${name} must be at most ${b.max}, got ${raw}`);
  return x;
}

/** For a CLI's main: a UsageError prints its message and exits 2; anything else is rethrown. */
export function exitOnUsageError(e: unknown, prefix: string): never {
  if (e instanceof UsageError) {
    process.stderr.write(`${prefix}: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
