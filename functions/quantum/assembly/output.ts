// Reading the final state (top-K outcomes, seeded sampling into counts) and writing the JSON answer straight
// into bytes: a 24-qubit run can have a million distinct outcomes, too many for a string per key.
import * as engine from "./engine";
import { PrefixCache, RunPlan, runOnce } from "./run";
import { Circuit } from "./qasm";
import { nextDouble } from "./rng";

/** An ASCII byte buffer with a fixed capacity (the caller sizes it; the memory budget counts it). */
export class ByteWriter {
  buf: Uint8Array;
  len: i32 = 0;
  constructor(capacity: i32) { this.buf = new Uint8Array(capacity); }

  private room(n: i32): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(max(this.buf.length * 2, this.len + n));
    memory.copy(next.dataStart, this.buf.dataStart, <usize>this.len);
    this.buf = next;
  }

  /** Appends an ASCII string. */
  str(s: string): ByteWriter {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = <u8>s.charCodeAt(i);
    return this;
  }

  /** Appends a non-negative integer. */
  uint(x: u64): ByteWriter {
    this.room(20);
    let digits = 1;
    for (let t = x / 10; t > 0; t /= 10) digits++;
    for (let i = digits - 1, t = x; i >= 0; i--, t /= 10) this.buf[this.len + i] = <u8>(48 + <i32>(t % 10));
    this.len += digits;
    return this;
  }

  /** Appends a number the way JSON.stringify would (null when not finite). */
  num(x: f64): ByteWriter {
    if (!isFinite(x)) return this.str("null");
    if (x == Math.floor(x) && Math.abs(x) < 9007199254740992.0) return x < 0 ? this.str("-").uint(<u64>(-x)) : this.uint(<u64>x);
    return this.str(x.toString());
  }

  /** Appends `"bits"`: the low `width` bits of x, highest first. */
  bits(x: u64, width: i32): ByteWriter {
    this.room(width + 2);
    this.buf[this.len++] = 34;
    for (let i = width - 1; i >= 0; i--) this.buf[this.len++] = <u8>(48 + <i32>((x >> <u64>i) & 1));
    this.buf[this.len++] = 34;
    return this;
  }

  /** The bytes written so far. */
  bytes(): Uint8Array { return this.buf.subarray(0, this.len); }
}

function byProbability(a: i32, b: i32): i32 {
  const pa = engine.prob(a), pb = engine.prob(b);
  return pb > pa ? 1 : pb < pa ? -1 : a - b;
}

/** The k most probable basis indices, most probable first, ties by lower index (topK in state-math.ts). */
export function topK(k: i32): i32[] {
  const best: i32[] = [];
  if (k <= 0) return best;
  let floor = -1.0;
  for (let x = 0; x < engine.DIM; x++) {
    const p = engine.prob(x);
    if (p <= floor || p == 0) continue;
    best.push(x);
    if (best.length > 4 * k + 64) {
      best.sort(byProbability);
      best.length = k;
      floor = engine.prob(best[k - 1]);
    }
  }
  best.sort(byProbability);
  if (best.length > k) best.length = k;
  return best;
}

// Counts keyed by outcome bits (clbit j or qubit j at bit j), filled by sampling.
let counts = new Map<u64, i32>();
let plan: RunPlan | null = null;

function keyOf(x: i32): u64 {
  const pl = plan!;
  if (!pl.measures) return <u64>x;
  let key: u64 = 0;
  for (let j = 0; j < pl.clbits.length; j++) if (pl.clbits[j]) key |= (<u64>1) << <u64>j;
  for (let i = 0; i < pl.termQ.length; i++) {
    const bit = (<u64>1) << <u64>pl.termC[i];
    key = ((x >> pl.termQ[i]) & 1) ? key | bit : key & ~bit;
  }
  return key;
}

function add(x: i32, n: i32): void {
  const key = keyOf(x);
  counts.set(key, counts.has(key) ? counts.get(key) + n : n);
}

/** Draws `shots` indices from |psi|^2 like sampleIndices in state-math.ts (sorted uniforms, one pass). */
function sample(shots: i32): void {
  const u = new Float64Array(shots);
  for (let i = 0; i < shots; i++) u[i] = nextDouble();
  u.sort();
  const total = engine.norm();
  let acc = 0.0, k = 0, last = 0;
  for (let x = 0; x < engine.DIM && k < shots; x++) {
    const p = engine.prob(x);
    if (p > 0) last = x;
    acc += p / total;
    const start = k;
    while (k < shots && u[k] < acc) k++;
    if (k > start) add(x, k - start);
  }
  if (k < shots) add(last, shots - k);
}

let sortKeys: u64[] = [];
let sortCounts: i32[] = [];

function byCount(a: i32, b: i32): i32 {
  const ca = sortCounts[a], cb = sortCounts[b];
  if (ca != cb) return cb - ca;
  const ka = sortKeys[a], kb = sortKeys[b];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Samples `shots` outcomes (re-running the circuit per shot when it measures or resets mid-way, as
 * simulateQasm does) and writes them as a JSON object member `"counts":{...}`, most frequent first.
 */
export function writeCounts(out: ByteWriter, c: Circuit, pl: RunPlan, shots: i32, width: i32, prefix: PrefixCache | null = null): void {
  counts = new Map<u64, i32>();
  plan = pl;
  if (!pl.dynamic) sample(shots);
  else {
    for (let s = 0; s < shots; s++) {
      if (s > 0) {
        if (prefix !== null) prefix.next(c, pl);
        else runOnce(c, pl, false);
      }
      sample(1);
    }
  }
  sortKeys = counts.keys();
  sortCounts = counts.values();
  const order: i32[] = new Array<i32>(sortKeys.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort(byCount);
  out.str("\"counts\":{");
  for (let i = 0; i < order.length; i++) {
    if (i > 0) out.str(",");
    out.bits(sortKeys[order[i]], width).str(":").uint(<u64>sortCounts[order[i]]);
  }
  out.str("}");
}
