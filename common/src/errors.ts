/**
 * The one error base of the project. Every error a part raises on purpose is a ChoirmeshError
 * (or a subclass naming the part) with a stable `code` in one style, lower-case words joined by
 * hyphens, as the wire protocol's codes are ("room-full", "slot-in-use", "bad-signal"), so that
 * callers sort errors by code, never by parsing messages. Input from the network never becomes
 * a thrown error: it is refused with a code, or reported as an error event carrying one.
 */
export class ChoirmeshError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isChoirmeshError(e: unknown): e is ChoirmeshError {
  return e instanceof ChoirmeshError;
}

/** A command line that cannot be run as given (an unknown flag, a value out of range). */
export class UsageError extends ChoirmeshError<"usage"> {
  constructor(message: string) {
    super("usage", message);
  }
}
