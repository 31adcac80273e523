// Logging: each call sends one line to the host, which tags it with the function and invocation.
import { hostLog } from "./host";

function emit(level: i32, message: string): void {
  const buf = String.UTF8.encode(message);
  hostLog(level, changetype<usize>(buf), <usize>buf.byteLength);
}

/** Log lines reach `jaegis logs <name>` with their level. */
export namespace log {
  export function debug(message: string): void { emit(0, message); }
  export function info(message: string): void { emit(1, message); }
  export function warn(message: string): void { emit(2, message); }
  export function error(message: string): void { emit(3, message); }
}
