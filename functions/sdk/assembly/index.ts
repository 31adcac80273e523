// The Jaegis AssemblyScript SDK. A function writes `export function handle(req: Request): Response`
// and, optionally, `export function init(): void`, which runs at build time and is captured in the snapshot.
export { Request } from "./request";
export { Response } from "./response";
export { Headers } from "./headers";
export { JSONValue, JSONKind, parseJSON, quoteJSON } from "./json";
export { log } from "./log";
export { getEnv } from "./env";
