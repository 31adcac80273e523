// Runs a flattened circuit on an engine, shot by shot, branching only where the circuit does. The gates
// before the first mid-circuit measure or reset run once; each measure/reset is a branch point whose
// post-measurement states are kept (within a memory budget) in a tree keyed by the outcomes drawn so far,
// so a shot that draws outcomes seen before reuses their states instead of re-simulating. Terminal
// measurements are deferred and sampled from the final state. Which states to keep is this file's call;
// the draws are not: each shot draws one uniform per executed measure/reset, in circuit order, then one
// for its final sample, exactly as re-running the circuit per shot would (same seed, same counts).
import type { StateEngine } from './engine.js'
import { lowerGate, type PrimOp } from './gates.js'
import type { Circuit, CircuitOp, Condition } from './qasm.js'
import type { Xoshiro128 } from './rng.js'
import { collapseQubit, cumulativeProbabilities, probabilityOfOne, sampleCumulative, type Cumulative } from './state-math.js'

/** A measurement left for sampling: no gate or reset touches its qubit afterwards. */
export interface TerminalMeasure { qubit: number; clbit: number }

/** What one run of a circuit leaves behind besides the state. */
export interface RunRecord {
  /** Classical bits set by mid-circuit measurements (terminal ones are not drawn here). */
  clbits: Uint8Array
  terminal: TerminalMeasure[]
  /** True when the circuit measures or resets before its end, so shots may differ before the final sample. */
  dynamic: boolean
  gates: number
}

type GateOp = Extract<CircuitOp, { kind: 'gate' }>
/** A branch point: a mid-circuit measure or a reset (clbit -1), possibly classically controlled. */
interface BranchEvent { qubit: number; clbit: number; reset: boolean; cond?: Condition }

/** A circuit cut at its branch points: segments[k] runs before events[k]; the last segment after the last event. */
export interface ShotPlan { segments: GateOp[][]; events: BranchEvent[]; terminal: TerminalMeasure[]; gates: number }

/**
 * Splits the measures of a circuit into terminal (deferred) and mid-circuit ones. A measure is terminal
 * when it is unconditional, no later gate or reset touches its qubit, no later measure writes its bit
 * and no later `if` reads its register.
 */
export function classifyMeasures(circuit: Circuit): { terminal: Set<number>; dynamic: boolean } {
  const touched = new Set<number>(), written = new Set<number>(), read = new Set<number>()
  const terminal = new Set<number>()
  let dynamic = false
  for (let i = circuit.ops.length - 1; i >= 0; i--) {
    const op = circuit.ops[i]
    if (op.kind !== 'barrier' && op.cond) for (let b = 0; b < op.cond.size; b++) read.add(op.cond.offset + b)
    if (op.kind === 'gate') for (const q of op.qubits) touched.add(q)
    else if (op.kind === 'reset') { touched.add(op.qubit); dynamic = true }
    else if (op.kind === 'measure') {
      if (op.cond || touched.has(op.qubit) || written.has(op.clbit) || read.has(op.clbit)) dynamic = true
      else terminal.add(i)
      written.add(op.clbit)
    }
  }
  return { terminal, dynamic }
}

/** Cuts a circuit into gate segments between branch events. */
export function planShots(circuit: Circuit): ShotPlan {
  const { terminal } = classifyMeasures(circuit)
  const plan: ShotPlan = { segments: [[]], events: [], terminal: [], gates: 0 }
  circuit.ops.forEach((op, i) => {
    if (op.kind === 'gate') { plan.segments[plan.segments.length - 1].push(op); plan.gates++; return }
    if (op.kind === 'barrier') return
    if (op.kind === 'measure' && terminal.has(i)) { plan.terminal.push({ qubit: op.qubit, clbit: op.clbit }); return }
    plan.events.push({ qubit: op.qubit, clbit: op.kind === 'measure' ? op.clbit : -1, reset: op.kind === 'reset', cond: op.cond })
    plan.segments.push([])
  })
  return plan
}

function holds(cond: Condition, clbits: Uint8Array): boolean {
  let v = 0
  for (let b = 0; b < cond.size; b++) v += clbits[cond.offset + b] * 2 ** b
  return v === cond.value
}

/** A point between events in one branch of the shot tree. */
interface Node {
  /** Index of the next event (events.length at a leaf). */
  depth: number
  clbits: Uint8Array
  /** The condition evaluated last on this branch: the ops of one `if` statement share its first evaluation. */
  lastCond?: { id: number; ok: boolean }
  /** P(1) for the next event's qubit; NaN until computed, -1 when the event's condition is false (it is skipped). */
  p1: number
  /** This node's state, kept while another child may still be created from it. */
  state: Float64Array | null
  children: [Node | undefined, Node | undefined]
  /** At a leaf, the final distribution, kept for sampling. */
  cumulative: Cumulative | null
}

/** One shot's way through the tree: the nodes from the root to a leaf. */
export type ShotPath = readonly Node[]

/** Options of the branching runner. */
export interface ShotRunnerOptions {
  /** Bytes of copied states and distributions the tree may keep; past it, shots re-simulate from the nearest kept state. @default 512 MiB */
  cacheBytes?: number
}

/** Default memory the shot tree may keep (copies of states and final distributions). */
export const DEFAULT_BRANCH_CACHE_BYTES = 512 * 1024 * 1024

/** Runs shots of one circuit on one engine, sharing the unitary prefix and every branch already simulated. */
export class ShotRunner {
  readonly plan: ShotPlan
  private root: Node | null = null
  /** The node whose state the engine holds, or null. */
  private current: Node | null = null
  private keptBytes = 0
  private readonly cacheBytes: number
  private otherPasses = 0

  constructor(private readonly circuit: Circuit, private readonly engine: StateEngine, options: ShotRunnerOptions = {}) {
    this.plan = planShots(circuit)
    this.cacheBytes = options.cacheBytes ?? DEFAULT_BRANCH_CACHE_BYTES
  }

  /** True when the circuit branches (mid-circuit measure or reset), so shots may end in different states. */
  get dynamic(): boolean { return this.plan.events.length > 0 }

  /** Passes over the full state so far: engine stages, plus measurement, collapse, copy and distribution passes. */
  get passes(): number { return this.otherPasses + this.engine.passes }

  /** Walks one shot from the root to a leaf, drawing one uniform per executed event. */
  walk(rng: Xoshiro128): ShotPath {
    const path: Node[] = [this.rootNode()]
    const events = this.plan.events
    for (let node = path[0]; node.depth < events.length;) {
      if (Number.isNaN(node.p1)) {
        const ev = events[node.depth]
        const ok = this.condition(node, ev.cond)
        node.p1 = ok ? probabilityOfOne(this.load(path), ev.qubit) : -1
        if (ok) this.otherPasses++
      }
      const outcome = node.p1 < 0 ? 0 : rng.nextDouble() < node.p1 ? 1 : 0
      let child = node.children[outcome]
      if (!child) child = this.branch(path, outcome)
      path.push(child)
      node = child
    }
    return path
  }

  /** The classical bits a shot ends with (terminal measures excluded). */
  clbits(path: ShotPath): Uint8Array { return path[path.length - 1].clbits }

  /** The final state of a shot, in the engine (valid until the next walk or sample). */
  state(path: ShotPath): Float64Array { return this.load(path) }

  /** Draws the shot's final basis index with one uniform, as sampleIndices(state, 1, rng) would. */
  sample(path: ShotPath, rng: Xoshiro128): number {
    const leaf = path[path.length - 1]
    let c = leaf.cumulative
    if (!c) {
      c = cumulativeProbabilities(this.load(path))
      this.otherPasses++
      if (this.keep(c.cdf.byteLength)) leaf.cumulative = c
    }
    return sampleCumulative(c, rng.nextDouble())
  }

  private rootNode(): Node {
    if (this.root) return this.root
    this.engine.init(this.circuit.numQubits)
    const root: Node = { depth: 0, clbits: new Uint8Array(this.circuit.numClbits), p1: NaN, state: null, children: [undefined, undefined], cumulative: null }
    this.runSegment(root, 0)
    this.root = this.current = root
    return root
  }

  private condition(node: Node, cond: Condition | undefined): boolean {
    if (!cond) return true
    if (node.lastCond?.id === cond.id) return node.lastCond.ok
    const ok = holds(cond, node.clbits)
    node.lastCond = { id: cond.id, ok }
    return ok
  }

  /** Applies segment k to the engine's state, evaluating conditions on `node`'s bits. */
  private runSegment(node: Node, k: number): void {
    const batch: PrimOp[] = []
    for (const g of this.plan.segments[k]) if (this.condition(node, g.cond)) batch.push(...lowerGate(g.name, g.qubits, g.params))
    this.engine.apply(batch)
  }

  private keep(bytes: number): boolean {
    if (this.keptBytes + bytes > this.cacheBytes) return false
    this.keptBytes += bytes
    return true
  }

  private drop(node: Node): void {
    if (!node.state) return
    this.keptBytes -= node.state.byteLength
    node.state = null
  }

  /** Creates the child of the last node of `path` for `outcome`, leaving its state in the engine. */
  private branch(path: Node[], outcome: number): Node {
    const node = path[path.length - 1]
    const psi = this.load(path)
    // Keep this state only while the other outcome may still be drawn from it.
    const otherPossible = node.p1 > 0 && node.p1 < 1 && !node.children[1 - outcome]
    if (otherPossible && !node.state && this.keep(psi.byteLength)) { node.state = Float64Array.from(psi); this.otherPasses++ }
    if (!otherPossible) this.drop(node)
    const child = this.transition(node, outcome)
    node.children[outcome] = child
    this.current = child
    return child
  }

  /** Applies event node.depth with `outcome` and the segment after it to the engine's state (which holds `node`). */
  private transition(node: Node, outcome: number): Node {
    const ev = this.plan.events[node.depth]
    const clbits = Uint8Array.from(node.clbits)
    if (node.p1 >= 0) {
      collapseQubit(this.engine.state(), ev.qubit, outcome, node.p1, ev.reset)
      this.otherPasses++
      if (!ev.reset) clbits[ev.clbit] = outcome
    }
    const child: Node = { depth: node.depth + 1, clbits, lastCond: node.lastCond, p1: NaN, state: null, children: [undefined, undefined], cumulative: null }
    this.runSegment(child, child.depth)
    return child
  }

  /** Makes the engine hold the state of the last node of `path` and returns it, re-simulating from the nearest kept state. */
  private load(path: readonly Node[]): Float64Array {
    const target = path[path.length - 1]
    if (this.current !== target) {
      let from = path.length - 1
      while (from >= 0 && !path[from].state && path[from] !== this.current) from--
      if (from < 0) {
        // Nothing kept on this branch: start over from |0...0> and the first segment.
        const before = this.engine.passes
        this.engine.init(this.circuit.numQubits)
        this.otherPasses += before
        this.runSegment({ ...path[0], lastCond: undefined }, 0)
        from = 0
      } else if (path[from] !== this.current) {
        this.engine.state().set(path[from].state!)
        this.otherPasses++
      }
      for (let i = from; i + 1 < path.length; i++) {
        const outcome = path[i].children[0] === path[i + 1] ? 0 : 1
        this.transition(path[i], outcome)
      }
      this.current = target
    }
    return this.engine.state()
  }
}

/** Runs `circuit` once on `engine` from |0...0>, drawing mid-circuit outcomes from `rng`; the final state stays in the engine. */
export function runCircuit(circuit: Circuit, engine: StateEngine, rng: Xoshiro128): RunRecord {
  const runner = new ShotRunner(circuit, engine, { cacheBytes: 0 })
  const path = runner.walk(rng)
  runner.state(path)
  return { clbits: runner.clbits(path), terminal: runner.plan.terminal, dynamic: runner.dynamic, gates: runner.plan.gates }
}
