// Environment variables: only those the manifest lists are visible.
import { hostEnv } from "./host";

/** The value of an environment variable from the function's manifest, or null when unset. */
export function getEnv(name: string): string | null {
  const key = String.UTF8.encode(name);
  let cap: i32 = 256;
  for (;;) {
    const out = new ArrayBuffer(cap);
    const n = hostEnv(changetype<usize>(key), <usize>key.byteLength, changetype<usize>(out), <usize>cap);
    if (n < 0) return null;
    if (n <= cap) return String.UTF8.decodeUnsafe(changetype<usize>(out), <usize>n);
    cap = n;
  }
  return null;
}
