// Runs a flattened circuit on the engine like kernels/statevector/run.ts: terminal measurements are deferred
// and sampled from the final state; mid-circuit measurements and resets draw from the RNG and collapse it.
import { Circuit, OP_GATE, OP_MEASURE, OP_RESET } from "./qasm";
import * as engine from "./engine";
import { nextDouble } from "./rng";

/** What classify() learns once per circuit. */
export class RunPlan {
  /** 1 where op i is a measure no later gate or reset touches. */
  terminal: Uint8Array;
  /** Qubit and clbit of each terminal measure, in circuit order. */
  termQ: i32[] = [];
  termC: i32[] = [];
  /** True when a measure or reset happens before the end, so each shot needs its own run. */
  dynamic: bool = false;
  /** True when the circuit has any measure (counts are then keyed by classical bits). */
  measures: bool = false;
  /** Gate applications (after expansion). */
  gates: i32 = 0;
  /** Classical bits set by mid-circuit measures in the latest run. */
  clbits: Uint8Array;
  /** Index of the first op that branches (a mid-circuit measure or reset): every shot shares the ops before it. */
  firstEvent: i32 = 0;
  /** The condition evaluated last in this run and its result: the ops of one `if` statement share its first evaluation. */
  lastCond: i32 = 0;
  lastOk: bool = false;

  constructor(len: i32, numClbits: i32) {
    this.terminal = new Uint8Array(len);
    this.clbits = new Uint8Array(numClbits);
  }
}

/**
 * Splits the measures of a circuit into terminal and mid-circuit ones (classifyMeasures in run.ts): a measure is
 * terminal when it is unconditional, no later gate or reset touches its qubit, no later measure writes its bit and
 * no later `if` reads its register.
 */
export function classify(c: Circuit): RunPlan {
  const plan = new RunPlan(c.length, c.numClbits);
  const touched = new Uint8Array(c.numQubits);
  const written = new Uint8Array(c.numClbits);
  const read = new Uint8Array(c.numClbits);
  for (let i = c.length - 1; i >= 0; i--) {
    const k = c.kind[i];
    const id = c.cond[i];
    if (id > 0) for (let b = 0; b < c.condSize[id]; b++) read[c.condOffset[id] + b] = 1;
    if (k == OP_GATE) {
      for (let j = 0; j < 3; j++) { const q = c.q[3 * i + j]; if (q >= 0) touched[q] = 1; }
    } else if (k == OP_RESET) {
      touched[c.q[3 * i]] = 1;
      plan.dynamic = true;
    } else if (k == OP_MEASURE) {
      plan.measures = true;
      const bit = c.q[3 * i + 1];
      if (id > 0 || touched[c.q[3 * i]] || written[bit] || read[bit]) plan.dynamic = true;
      else plan.terminal[i] = 1;
      written[bit] = 1;
    }
  }
  plan.gates = c.gates;
  plan.firstEvent = c.length;
  for (let i = 0; i < c.length; i++) if (c.kind[i] != OP_GATE && !plan.terminal[i]) { plan.firstEvent = i; break; }
  for (let i = 0; i < c.length; i++) if (plan.terminal[i]) { plan.termQ.push(c.q[3 * i]); plan.termC.push(c.q[3 * i + 1]); }
  return plan;
}

/** Does condition `id` (0: none) hold on the run's classical bits? The ops of one `if` share its first evaluation. */
function holds(c: Circuit, plan: RunPlan, id: i32): bool {
  if (id == 0) return true;
  if (plan.lastCond == id) return plan.lastOk;
  let v = 0.0;
  const off = c.condOffset[id];
  for (let b = 0; b < c.condSize[id]; b++) v += <f64>plan.clbits[off + b] * Math.pow(2, <f64>b);
  plan.lastCond = id;
  plan.lastOk = v == c.condValue[id];
  return plan.lastOk;
}

/** Runs the circuit once from |0...0>; `zeroed` says the state memory is still all zero. */
export function runOnce(c: Circuit, plan: RunPlan, zeroed: bool): void {
  engine.init(zeroed);
  plan.clbits.fill(0);
  plan.lastCond = 0;
  runFrom(c, plan, 0);
}

/**
 * Shot branching where the circuit branches: the ops before the first mid-circuit measure or reset (the
 * unitary prefix, the same for every shot) run once and their state is copied to `snapshot` (as many bytes as
 * the state); later shots start from that copy instead of |0...0>. The uniforms drawn, and so the counts, are
 * those of re-running every shot from the start.
 */
export class PrefixCache {
  lastCond: i32 = 0;
  lastOk: bool = false;
  constructor(public snapshot: usize) {}

  /** The first shot: runs the prefix, keeps its state, then runs the rest. */
  first(c: Circuit, plan: RunPlan): void {
    engine.init(true);
    plan.clbits.fill(0);
    plan.lastCond = 0;
    runFrom(c, plan, 0, plan.firstEvent);
    memory.copy(this.snapshot, engine.statePtr(), (<usize>engine.DIM) << 4);
    this.lastCond = plan.lastCond; this.lastOk = plan.lastOk;
    runFrom(c, plan, plan.firstEvent);
  }

  /** A later shot: restores the prefix's state (its classical bits are all zero: no event ran) and runs the rest. */
  next(c: Circuit, plan: RunPlan): void {
    memory.copy(engine.statePtr(), this.snapshot, (<usize>engine.DIM) << 4);
    plan.clbits.fill(0);
    plan.lastCond = this.lastCond; plan.lastOk = this.lastOk;
    runFrom(c, plan, plan.firstEvent);
  }
}

/**
 * Runs ops `from`.. on the engine's state with the plan's classical bits; a mid-circuit measure or reset draws
 * one uniform when its condition holds and none when it does not.
 */
export function runFrom(c: Circuit, plan: RunPlan, from: i32, to: i32 = -1): void {
  const kind = c.kind, gate = c.gate, q = c.q, p = c.p, cond = c.cond;
  const end = to < 0 ? c.length : to;
  for (let i = from; i < end; i++) {
    const k = kind[i];
    if (!holds(c, plan, cond[i])) continue;
    if (k == OP_GATE) {
      engine.applyGate(gate[i], q[3 * i], q[3 * i + 1], q[3 * i + 2], p[3 * i], p[3 * i + 1], p[3 * i + 2]);
    } else if (!plan.terminal[i]) {
      engine.flushAll();
      if (k == OP_MEASURE) plan.clbits[q[3 * i + 1]] = <u8>engine.measure(q[3 * i], nextDouble(), false);
      else engine.measure(q[3 * i], nextDouble(), true);
    }
  }
  engine.flushAll();
}
