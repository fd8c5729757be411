/**
 * The signaling wire protocol (docs/protocol.md), as the server, the node runtime and the browser
 * speak it: one definition of every message in both directions, the field limits, the error
 * codes, the signals that links exchange and the clients' retry policy.
 */
export * from "./fields.js";
export * from "./media.js";
export * from "./error-codes.js";
export * from "./client-messages.js";
export * from "./server-messages.js";
export * from "./shape.js";
export * from "./link-signal.js";
export * from "./retry.js";
