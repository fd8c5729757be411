/** Public surface of the signaling part. */
export * from "./defaults.js";
export * from "./errors.js";
export * from "./log.js";
export * from "./metrics.js";
export * from "./protocol.js";
export * from "./room-store.js";
export * from "./tokens.js";
export { startSignalingServer, DEFAULT_PUBLIC_DIR, type SignalingServer, type StartOptions } from "./server.js";
