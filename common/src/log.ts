/**
 * Named loggers for every part of choirmesh (`choirmesh:signaling`, `choirmesh:mixer`, ...).
 *
 * Level rubric: `error` a failure someone must look at; `warn` something refused or degraded;
 * `info` once per lifecycle change (start, join, leave, parent change), never per message or
 * frame; `debug` anything else. The level comes from CHOIRMESH_LOG, e.g. `info` or
 * `warn,choirmesh:planner=debug`, and can be changed at run time with setLogLevel.
 */

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Where lines go: one formatted line per call. Default: stderr. */
export type LogSink = (line: string, level: Exclude<LogLevel, "silent">, name: string) => void;

export interface Logger {
  readonly name: string;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  enabled(level: Exclude<LogLevel, "silent">): boolean;
}

export type LogFields = Record<string, string | number | boolean | null | undefined>;

let globalLevel: LogLevel = "info";
const perName = new Map<string, LogLevel>();
let sink: LogSink = (line) => {
  process.stderr.write(line + "\n");
};

function isLevel(s: string): s is LogLevel {
  return Object.prototype.hasOwnProperty.call(RANK, s);
}

/** Parses `info` or `warn,choirmesh:planner=debug`; unknown words are ignored. */
export function configureLogging(spec: string | undefined): void {
  perName.clear();
  globalLevel = "info";
  if (!spec) return;
  for (const part of spec.split(",")) {
    const p = part.trim();
    const eq = p.indexOf("=");
    if (eq < 0) {
      if (isLevel(p)) globalLevel = p;
    } else {
      const name = p.slice(0, eq).trim();
      const level = p.slice(eq + 1).trim();
      if (name && isLevel(level)) perName.set(name, level);
    }
  }
}

configureLogging(process.env.CHOIRMESH_LOG);

/** Sets the level of one logger name, or of all loggers when name is omitted. */
export function setLogLevel(level: LogLevel, name?: string): void {
  if (name) perName.set(name, level);
  else globalLevel = level;
}

export function getLogLevel(name?: string): LogLevel {
  return (name && perName.get(name)) || globalLevel;
}

/** Replaces the output (tests capture lines with this); returns the previous sink. */
export function setLogSink(next: LogSink): LogSink {
  const prev = sink;
  sink = next;
  return prev;
}

function formatValue(v: string | number | boolean | null | undefined): string {
  if (typeof v === "string") return /^[^\s"=]*$/.test(v) && v.length > 0 ? v : JSON.stringify(v);
  return String(v);
}

function format(level: string, name: string, msg: string, fields?: LogFields): string {
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${name} ${msg}`;
  if (fields) {
    for (const k of Object.keys(fields)) {
      const v = fields[k];
      if (v !== undefined) line += ` ${k}=${formatValue(v)}`;
    }
  }
  return line;
}

const loggers = new Map<string, Logger>();

/** The logger of one part; `part` may be given with or without the `choirmesh:` prefix. */
export function createLogger(part: string): Logger {
  const name = part.startsWith("choirmesh:") ? part : `choirmesh:${part}`;
  const existing = loggers.get(name);
  if (existing) return existing;
  const enabled = (level: Exclude<LogLevel, "silent">): boolean => RANK[level] >= RANK[getLogLevel(name)];
  const emit = (level: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields): void => {
    if (!enabled(level)) return;
    try {
      sink(format(level, name, msg, fields), level, name);
    } catch {
      // A broken sink must never take the caller down.
    }
  };
  const logger: Logger = {
    name,
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    enabled,
  };
  loggers.set(name, logger);
  return logger;
}
