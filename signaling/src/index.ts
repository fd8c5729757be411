/** Public surface of the signaling part. */
export * from "./defaults.js";
export * from "@choirmesh/common/log";
export * from "./metrics.js";
export * from "@choirmesh/protocol";
export * from "./room-store.js";
export * from "./tokens.js";
export { startSignalingServer, DEFAULT_PUBLIC_DIR, type SignalingServer, type StartOptions } from "./server.js";
