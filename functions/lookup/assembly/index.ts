// A 1 MiB lookup table built by init() at build time and captured in the snapshot.
import { Request, Response, JSONValue } from "jaegis/sdk";

const SIZE: i32 = 1 << 18; // 2^18 entries of u32 = 1 MiB
const steps = new Uint32Array(SIZE);
let ready = false;

/** Collatz stopping time of every n below 2^18. Costs tens of milliseconds: exactly what a snapshot saves. */
export function init(): void {
  for (let n = 1; n < SIZE; n++) {
    let x: u64 = <u64>n;
    let count: u32 = 0;
    while (x != 1) {
      x = (x & 1) != 0 ? 3 * x + 1 : x >> 1;
      count++;
    }
    steps[n] = count;
  }
  ready = true;
}

export function handle(req: Request): Response {
  if (!ready) return Response.text("table not initialized\n", 500);
  const arg = req.param("n");
  const n = arg != null ? I32.parseInt(arg) : 27;
  if (n < 1 || n >= SIZE) {
    return Response.json(JSONValue.object().set("error", JSONValue.fromString("n must be between 1 and " + (SIZE - 1).toString())), 400);
  }
  return Response.json(JSONValue.object().set("n", JSONValue.fromNumber(<f64>n)).set("steps", JSONValue.fromNumber(<f64>steps[n])));
}
