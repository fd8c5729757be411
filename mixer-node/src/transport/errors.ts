/**
 * Errors raised by the transport layer. Every error carries a stable `code`
 * so that the runtime can sort them (fatal vs. retryable) without parsing
 * messages. Errors that come from the network are reported as `error`
 * events on the link; they are never thrown into the caller or into werift.
 */
import { ChoirmeshError } from "@choirmesh/common/errors";

export type TransportErrorCode =
  /** A signal from the peer failed validation (shape, kind, size). */
  | "bad-signal"
  /** A valid-looking signal arrived at the wrong moment (e.g. an answer to an answerer). */
  | "unexpected-signal"
  /** werift rejected a description or candidate, or offer/answer creation failed. */
  | "negotiation-failed"
  /** An application listener threw; the packet path carried on. */
  | "listener-threw"
  /** werift's send path rejected (the packet is lost, the link carries on). */
  | "send-failed"
  /** The operation needs an open link. */
  | "closed"
  /** An invalid option or argument from local code. */
  | "bad-option";

export class TransportError extends ChoirmeshError<TransportErrorCode> {}
