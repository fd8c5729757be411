/** The signaling wire protocol (docs/protocol.md), as the server, the node runtime and the browser speak it. */
export * from "./protocol.js";
export * from "./media.js";
export * from "./error-codes.js";
