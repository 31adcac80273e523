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

  constructor(len: i32, numClbits: i32) {
    this.terminal = new Uint8Array(len);
    this.clbits = new Uint8Array(numClbits);
  }
}

/** Splits the measures of a circuit into terminal and mid-circuit ones (classifyMeasures in run.ts). */
export function classify(c: Circuit): RunPlan {
  const plan = new RunPlan(c.length, c.numClbits);
  const touched = new Uint8Array(c.numQubits);
  for (let i = c.length - 1; i >= 0; i--) {
    const k = c.kind[i];
    if (k == OP_GATE) {
      plan.gates++;
      for (let j = 0; j < 3; j++) { const q = c.q[3 * i + j]; if (q >= 0) touched[q] = 1; }
    } else if (k == OP_RESET) {
      touched[c.q[3 * i]] = 1;
      plan.dynamic = true;
    } else if (k == OP_MEASURE) {
      plan.measures = true;
      if (touched[c.q[3 * i]]) plan.dynamic = true;
      else plan.terminal[i] = 1;
    }
  }
  for (let i = 0; i < c.length; i++) if (plan.terminal[i]) { plan.termQ.push(c.q[3 * i]); plan.termC.push(c.q[3 * i + 1]); }
  return plan;
}

/** Runs the circuit once from |0...0>; `zeroed` says the state memory is still all zero. */
export function runOnce(c: Circuit, plan: RunPlan, zeroed: bool): void {
  engine.init(zeroed);
  plan.clbits.fill(0);
  const kind = c.kind, gate = c.gate, q = c.q, p = c.p;
  for (let i = 0; i < c.length; i++) {
    const k = kind[i];
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
