// POST /fn/quantum?shots=&seed=&top= with OpenQASM 2.0 text: parses and simulates the circuit on a full
// statevector and answers {qubits, clbits, gates, shots, seed, top, counts?} with simulateQasm's conventions.
import { Request, Response, JSONValue } from "jaegis/sdk";
import { parseQasm } from "./qasm";
import * as engine from "./engine";
import { classify, PrefixCache, runOnce } from "./run";
import { seedRng } from "./rng";
import { ByteWriter, topK, writeCounts } from "./output";

/** Must equal [limits] memory_mib in jaegis.toml: the module cannot read its memory maximum. */
const MEMORY_LIMIT_MIB: i32 = 512;
const MIB: u64 = 1 << 20;
const MAX_SHOTS: i32 = 1_000_000;
const MAX_TOP: i32 = 65536;

function fail(status: i32, code: string, message: string, line: i32 = 0, column: i32 = 0): Response {
  const err = JSONValue.object().set("code", JSONValue.fromString(code)).set("message", JSONValue.fromString(message));
  if (line > 0) err.set("line", JSONValue.fromNumber(<f64>line)).set("column", JSONValue.fromNumber(<f64>column));
  return Response.json(JSONValue.object().set("error", err), status);
}

/** A query parameter as an integer in [0, max], `def` when absent, or -1 when malformed or out of range. */
function intParam(req: Request, name: string, def: i64, max: i64): i64 {
  const s = req.param(name);
  if (s == null) return def;
  if (s.length == 0 || s.length > 12) return -1;
  let x: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    x = x * 10 + (c - 48);
  }
  return x <= max ? x : -1;
}

/** Bytes of heap the answer may need after the state is allocated (sampling, counts, JSON, response copy). */
function reserveBytes(n: i32, shots: i32, keyBits: i32, k: i32): u64 {
  const distinct: u64 = keyBits < 31 ? min(<u64>shots, (<u64>1) << <u64>keyBits) : <u64>shots;
  return 4 * MIB + 16 * <u64>shots + distinct * (2 * <u64>keyBits + 200) + <u64>min(k, 1 << n) * (2 * <u64>n + 160);
}

/** Largest qubit count whose state fits next to `heapBytes` of heap under the limit. */
function fittingQubits(heapBytes: u64): i32 {
  const limit = <u64>MEMORY_LIMIT_MIB * MIB;
  let q = 0;
  while (heapBytes + (16 << <u64>(q + 1)) <= limit) q++;
  return q;
}

export function handle(req: Request): Response {
  if (req.method != "POST") return fail(405, "METHOD_NOT_ALLOWED", "POST OpenQASM 2.0 text to this function (query: shots, seed, top)");
  const shots = intParam(req, "shots", 0, MAX_SHOTS);
  if (shots < 0) return fail(400, "BAD_PARAMETER", "shots must be an integer from 0 to " + MAX_SHOTS.toString());
  const seed = intParam(req, "seed", 1, 0xffffffff);
  if (seed < 0) return fail(400, "BAD_PARAMETER", "seed must be an integer from 0 to 4294967295");
  const k = <i32>intParam(req, "top", 8, MAX_TOP);
  if (k < 0) return fail(400, "BAD_PARAMETER", "top must be an integer from 0 to " + MAX_TOP.toString());

  const parsed = parseQasm(req.body.dataStart, req.body.length);
  const pe = parsed.error;
  if (pe !== null) {
    let message = "line " + parsed.line.toString() + ", column " + parsed.column.toString() + ": " + pe;
    if (parsed.code == "TOO_MANY_QUBITS") message += "; this function fits at most " + fittingQubits(8 * MIB).toString() + " qubits in its " + MEMORY_LIMIT_MIB.toString() + " MiB (memory_mib)";
    return fail(400, parsed.code, message, parsed.line, parsed.column);
  }
  const c = parsed.circuit;
  const n = c.numQubits;
  if (n < 1) return fail(400, "QASM_SYNTAX", "the circuit declares no qubits (add a qreg)");
  const plan = classify(c);
  const keyBits = plan.measures ? c.numClbits : n;
  if (shots > 0 && keyBits > 64) return fail(400, "UNSUPPORTED", "counts are limited to 64 classical bits; this circuit has " + keyBits.toString());

  // The state lives in pages grown for it alone, above the allocator's heap. The allocator grows by doubling,
  // which the memory limit would refuse once the state is there, so the heap the answer needs is reserved first.
  const reserve = reserveBytes(n, <i32>shots, keyBits, k);
  const heapNow = (<u64>memory.size()) << 16;
  const heapAfter = heapNow + max(heapNow, reserve + MIB);
  const stateBytes: u64 = (<u64>16) << <u64>n;
  if (heapAfter + stateBytes > <u64>MEMORY_LIMIT_MIB * MIB) {
    const fit = fittingQubits(heapAfter);
    const fitNoShots = fittingQubits(heapNow + max(heapNow, reserveBytes(n, 0, keyBits, k) + MIB));
    if (n > fitNoShots || shots == 0) {
      return fail(400, "TOO_MANY_QUBITS", "the circuit has " + n.toString() + " qubits: its state needs " + (stateBytes / MIB).toString() + " MiB, and this function's " + MEMORY_LIMIT_MIB.toString() + " MiB (memory_mib) fits at most " + fit.toString() + " qubits");
    }
    return fail(400, "TOO_MANY_SHOTS", "shots=" + shots.toString() + " on " + n.toString() + " qubits needs more than this function's " + MEMORY_LIMIT_MIB.toString() + " MiB (memory_mib); use fewer shots or qubits");
  }
  heap.free(heap.alloc(<usize>reserve));
  const pages = <i32>((stateBytes + 0xffff) >> 16);
  const base = memory.grow(pages);
  if (base < 0) return fail(500, "OUT_OF_MEMORY", "could not allocate the state");
  engine.bind((<usize>base) << 16, n);

  // A dynamic circuit with several shots keeps a copy of its unitary prefix's state when a second state fits.
  let prefix: PrefixCache | null = null;
  if (plan.dynamic && shots > 1 && plan.firstEvent > 0 && ((<u64>memory.size()) << 16) + stateBytes <= <u64>MEMORY_LIMIT_MIB * MIB) {
    const snap = memory.grow(pages);
    if (snap >= 0) prefix = new PrefixCache((<usize>snap) << 16);
  }

  seedRng(<u32>seed);
  if (prefix !== null) prefix.first(c, plan);
  else runOnce(c, plan, true);

  const out = new ByteWriter(<i32>min(reserve / 2, <u64>(64 << 10) + <u64>min(k, engine.DIM) * <u64>(n + 64)));
  out.str("{\"qubits\":").uint(<u64>n).str(",\"clbits\":").uint(<u64>c.numClbits).str(",\"gates\":").uint(<u64>plan.gates);
  out.str(",\"shots\":").uint(<u64>shots).str(",\"seed\":").uint(<u64>seed).str(",\"top\":[");
  const best = topK(k);
  for (let i = 0; i < best.length; i++) {
    if (i > 0) out.str(",");
    out.str("{\"bitstring\":").bits(<u64>best[i], n).str(",\"probability\":").num(engine.prob(best[i])).str("}");
  }
  out.str("]");
  if (shots > 0) {
    out.str(",");
    writeCounts(out, c, plan, <i32>shots, keyBits, prefix);
  }
  out.str("}\n");
  return Response.bytes(out.bytes(), "application/json");
}

