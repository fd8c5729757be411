/**
 * Errors raised by the transport layer. Every error carries a stable `code`
 * so that the runtime can sort them (fatal vs. retryable) without parsing
 * messages. Errors that come from the network are reported as `error`
 * events on the link; they are never thrown into the caller or into werift.
 */

export type TransportErrorCode =
  /** A signal from the peer failed validation (shape, kind, size). */
  | "BAD_SIGNAL"
  /** A valid-looking signal arrived at the wrong moment (e.g. an answer to an answerer). */
  | "UNEXPECTED_SIGNAL"
  /** werift rejected a description or candidate, or offer/answer creation failed. */
  | "NEGOTIATION_FAILED"
  /** An application listener threw; the packet path carried on. */
  | "LISTENER_THREW"
  /** werift's send path rejected (the packet is lost, the link carries on). */
  | "SEND_FAILED"
  /** The operation needs an open link. */
  | "CLOSED"
  /** An invalid option or argument from local code. */
  | "BAD_OPTION";

export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
