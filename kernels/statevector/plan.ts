// Cuts a list of primitive ops into stages (qsim/Aer-style cache blocking with gate fusion): each stage
// picks at most `blockQubits` target qubits, so the kernel can run all of its gates on one cache-sized
// tile of the state before moving to the next; gates on disjoint qubits are moved past blocked ones.
import { fuseSingleQubitRuns } from './fuse.js'
import { opQubits, opTargets, type PrimOp } from './gates.js'

/** Opcodes of the per-tile program; must match assembly/ops.ts. */
export const OP = { HN: 1, MAT1: 2, X: 3, SWAP: 4, DIAG: 5, MAT2: 6, SCALE: 7, PERM: 8, SUB: 9 } as const

/** One pass over the state: tile layout and the program run on every tile. */
export interface Stage {
  /** Tile local qubits 0..c-1 are global 0..c-1. */
  c: number
  /** Further tile qubits (global, ascending, all >= c); local index c + i. */
  s: number[]
  /** Qubits fixed per tile (global, ascending). */
  o: number[]
  prog: Int32Array
  dbl: Float64Array
  /** Primitive ops in this stage. */
  ops: number
}

/** Tuning of the blocking. */
export interface PlanOptions {
  /** log2 of amplitudes per tile (16 bytes each); 16 = 1 MiB (L2-sized here). Clamped to 4..19. @default 16 */
  blockQubits?: number
  /** Lowest qubits always kept in a tile, so gathered chunks are 2^minChunkQubits amplitudes or more. @default 6 */
  minChunkQubits?: number
  /** log2 of amplitudes per L1 sub-block for ops on the lowest qubits; 10 = 16 KiB. @default 10 */
  subBlockQubits?: number
}

/** Largest tile the kernel's diagonal tables allow (7 + 12 bits). */
export const MAX_TILE_QUBITS = 19

/** Splits `ops` on n qubits into stages. */
export function planStages(n: number, input: PrimOp[], options: PlanOptions = {}): Stage[] {
  const ops = fuseSingleQubitRuns(input, opQubits)
  const clamp = (v: number | undefined, def: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.floor(v ?? def)))
  const B = clamp(options.blockQubits, 16, 4, MAX_TILE_QUBITS)
  const cMin = clamp(options.minChunkQubits, 6, 0, B - 3)
  const sub = clamp(options.subBlockQubits, 10, 3, B)
  const stages: Stage[] = []
  if (n <= B) {
    if (ops.length > 0) stages.push(compileStage(n, n, [], ops, sub))
    return stages
  }
  const done = new Uint8Array(ops.length)
  let first = 0
  while (first < ops.length) {
    const needed = new Set<number>()
    for (let q = 0; q < cMin; q++) needed.add(q)
    const blocked = new Uint8Array(n)
    let nBlocked = 0
    const chosen: PrimOp[] = []
    for (let i = first; i < ops.length && nBlocked < n; i++) {
      if (done[i]) continue
      const op = ops[i]
      const qs = opQubits(op)
      let ok = qs.every((q) => !blocked[q])
      if (ok) {
        const extra = opTargets(op).filter((q) => !needed.has(q))
        ok = needed.size + new Set(extra).size <= B
        if (ok) { for (const q of extra) needed.add(q); chosen.push(op); done[i] = 1; continue }
      }
      for (const q of qs) if (!blocked[q]) { blocked[q] = 1; nBlocked++ }
    }
    while (first < ops.length && done[first]) first++
    // Largest c with [0, c) plus the needed qubits above c fitting in B.
    let c = B
    while (c > cMin && c + [...needed].filter((q) => q >= c).length > B) c--
    const s = [...needed].filter((q) => q >= c).sort((a, b) => a - b)
    stages.push(compileStage(n, c, s, chosen, sub))
  }
  return stages
}

/** One emitted program op: its words, the highest local qubit it touches, and whether it may run in a sub-block. */
interface Emit { words: number[]; maxQ: number; subOk: boolean }

/** Permutation runs shorter than this are emitted gate by gate (a fused pass costs about three CX). */
const PERM_MIN_OPS = 3

/** Translates a stage's ops into a tile program: fuses runs of Hadamards, of diagonal gates and of CX/X/SWAP
 * (into one affine bit permutation), and wraps runs of ops on low qubits into L1-sized sub-block loops. */
export function compileStage(n: number, c: number, s: number[], ops: PrimOp[], subBits = 10): Stage {
  const local = new Map<number, number>()
  for (let q = 0; q < c; q++) local.set(q, q)
  s.forEach((q, i) => local.set(q, c + i))
  const bits = c + s.length
  const o: number[] = []
  for (let q = 0; q < n; q++) if (!local.has(q)) o.push(q)
  const dbl: number[] = []
  const emits: Emit[] = []
  let scale = 1
  let hRun: number[] = []
  // Diagonal factors keyed by their (qa, qb) refs: factors on the same qubits multiply into one entry.
  let diagRun = new Map<string, { a: number; b: number; d: Float64Array }>()
  let firstDiagScale = -1
  let perm: { cols: number[]; cst: number; conds: Map<number, number>; ops: PrimOp[] } | null = null
  const loc = (q: number) => local.get(q)!
  const split = (ctrls: number[]) => {
    let lm = 0, om = 0
    for (const q of ctrls) { if (local.has(q)) lm |= 1 << loc(q); else om |= 1 << q }
    return [lm, om]
  }
  const hiBit = (m: number) => 31 - Math.clz32(m)
  const pushDbl = (v: ArrayLike<number>) => { const at = dbl.length; for (let i = 0; i < v.length; i++) dbl.push(v[i]); return at }
  const ref = (q: number) => q < 0 ? -1 : local.has(q) ? loc(q) : 32 + q
  const emit = (words: number[], maxQ: number, subOk = true) => emits.push({ words, maxQ, subOk })

  const emitSingle = (op: PrimOp) => {
    switch (op.t) {
      case 'mat1': { const [lm, om] = split(op.ctrls); emit([OP.MAT1, loc(op.q), lm, om, pushDbl(op.m)], hiBit(lm | (1 << loc(op.q)))); break }
      case 'x': { const [lm, om] = split(op.ctrls); emit([OP.X, loc(op.q), lm, om], hiBit(lm | (1 << loc(op.q)))); break }
      case 'swap': {
        const [lm, om] = split(op.ctrls)
        const a = Math.min(loc(op.a), loc(op.b)), b = Math.max(loc(op.a), loc(op.b))
        emit([OP.SWAP, a, b, lm, om], hiBit(lm | (1 << b)))
        break
      }
      case 'mat2': emit([OP.MAT2, loc(op.a), loc(op.b), pushDbl(op.m)], Math.max(loc(op.a), loc(op.b))); break
      default: throw new Error(`internal: ${op.t} is not a single op`)
    }
  }
  const flushH = () => {
    if (!hRun.length) return
    hRun.sort((a, b) => a - b)
    const low = hRun.filter((q) => q < subBits), high = hRun.filter((q) => q >= subBits)
    if (low.length) emit([OP.HN, low.length, ...low], low[low.length - 1])
    if (high.length) emit([OP.HN, high.length, ...high], high[high.length - 1])
    hRun = []
  }
  const flushDiag = () => {
    if (!diagRun.size) return
    const sc = pushDbl([1])
    if (firstDiagScale < 0) firstDiagScale = sc
    const words: number[] = []
    for (const e of diagRun.values()) words.push(e.a, e.b, pushDbl(e.d))
    emit([OP.DIAG, diagRun.size, sc, ...words], bits - 1, false)
    diagRun = new Map()
  }
  const addDiag = (op: Extract<PrimOp, { t: 'diag' }>) => {
    const a = ref(op.qa), b = ref(op.qb), key = `${a},${b}`
    const e = diagRun.get(key)
    if (!e) { diagRun.set(key, { a, b, d: Float64Array.from(op.d) }); return }
    for (let i = 0; i < 4; i++) {
      const xr = e.d[2 * i], xi = e.d[2 * i + 1], yr = op.d[2 * i], yi = op.d[2 * i + 1]
      e.d[2 * i] = xr * yr - xi * yi
      e.d[2 * i + 1] = xr * yi + xi * yr
    }
  }
  const flushPerm = () => {
    if (!perm) return
    const p = perm
    perm = null
    if (p.ops.length < PERM_MIN_OPS) { p.ops.forEach(emitSingle); return }
    let touched = p.cst
    p.cols.forEach((v, b) => { if (v !== 1 << b) touched |= v | (1 << b) })
    for (const f of p.conds.values()) touched |= f
    if (touched === 0) return
    const k = hiBit(touched) + 1
    const conds = [...p.conds].filter(([, f]) => f !== 0).flat()
    emit([OP.PERM, k, conds.length / 2, p.cst, ...p.cols.slice(0, k), ...conds], k - 1)
  }
  /** Folds X/CX/SWAP into the running affine permutation when it stays affine; false otherwise. */
  const addPerm = (op: PrimOp): boolean => {
    if (op.t !== 'x' && op.t !== 'swap') return false
    const [lm, om] = split(op.ctrls)
    const nl = lm === 0 ? 0 : lm & (lm - 1) ? 2 : 1
    if (nl > 1 || (nl === 1 && om !== 0) || (op.t === 'swap' && op.ctrls.length > 0)) return false
    perm ??= { cols: Array.from({ length: bits }, (_, b) => 1 << b), cst: 0, conds: new Map(), ops: [] }
    const p = perm
    p.ops.push(op)
    const each = (f: (v: number) => number) => {
      p.cols = p.cols.map(f)
      p.cst = f(p.cst)
      for (const [m, v] of p.conds) p.conds.set(m, f(v))
    }
    if (op.t === 'swap') {
      const a = 1 << loc(op.a), b = 1 << loc(op.b)
      each((v) => (((v & a) !== 0) !== ((v & b) !== 0) ? v ^ a ^ b : v))
    } else {
      const t = 1 << loc(op.q)
      if (lm) each((v) => (v & lm ? v ^ t : v))
      else if (om) p.conds.set(om, (p.conds.get(om) ?? 0) ^ t)
      else p.cst ^= t
    }
    return true
  }

  for (const op of ops) {
    const isPerm = (op.t === 'x' || op.t === 'swap')
    if (op.t !== 'h') flushH()
    if (op.t !== 'diag') flushDiag()
    if (!isPerm) flushPerm()
    switch (op.t) {
      case 'h':
        flushPerm()
        if (hRun.includes(loc(op.q))) flushH()
        hRun.push(loc(op.q))
        scale *= Math.SQRT1_2
        break
      case 'diag':
        flushPerm()
        addDiag(op)
        break
      case 'x': case 'swap':
        if (!addPerm(op)) { flushPerm(); emitSingle(op) }
        break
      default: emitSingle(op)
    }
  }
  flushH()
  flushDiag()
  flushPerm()
  if (scale !== 1) {
    if (firstDiagScale >= 0) dbl[firstDiagScale] = scale
    else emit([OP.SCALE, pushDbl([scale])], bits - 1, false)
  }
  // Runs of ops on qubits below subBits go into one sub-block loop, so they share an L1-resident pass.
  const prog: number[] = []
  for (let i = 0; i < emits.length;) {
    if (bits > subBits && emits[i].subOk && emits[i].maxQ < subBits) {
      const inner: number[] = []
      while (i < emits.length && emits[i].subOk && emits[i].maxQ < subBits) inner.push(...emits[i++].words)
      prog.push(OP.SUB, subBits, inner.length, ...inner)
    } else prog.push(...emits[i++].words)
  }
  return { c, s, o, prog: Int32Array.from(prog), dbl: Float64Array.from(dbl), ops: ops.length }
}
