// OpenQASM 2.0 front end: tokenizes, parses and flattens a program (registers, user gates, broadcast,
// parameter expressions) into a list of built-in gate applications, measures, resets and barriers.
// Anything it does not support (opaque, other includes, OpenQASM 3) is rejected with the line and column.
import { QasmError } from './errors.js'
import { GATE_ARITY } from './gates.js'
import { tokenize, type Tok } from './qasm-lexer.js'

/**
 * `if (creg == value)`: the op runs only when the classical register, read as an unsigned integer with
 * its bit 0 least significant, equals `value`. The ops of one statement share one Condition object (`id`),
 * and it is evaluated once, before the first of them (so `if (c==1) measure q -> c;` tests c once).
 */
export interface Condition { id: number; creg: string; offset: number; size: number; value: number }

/** One operation of a flattened circuit; qubits and clbits are global indices. */
export type CircuitOp =
  | { kind: 'gate'; name: string; qubits: number[]; params: number[]; cond?: Condition }
  | { kind: 'measure'; qubit: number; clbit: number; cond?: Condition }
  | { kind: 'reset'; qubit: number; cond?: Condition }
  | { kind: 'barrier'; qubits: number[] }

/** A register and where its bits start in the global numbering. */
export interface Register { name: string; size: number; offset: number }

/** A parsed, flattened circuit. */
export interface Circuit { numQubits: number; numClbits: number; qregs: Register[]; cregs: Register[]; ops: CircuitOp[] }

type Expr = { k: 'num'; v: number } | { k: 'var'; name: string; tok: Tok } | { k: 'bin'; op: string; a: Expr; b: Expr } | { k: 'neg'; a: Expr } | { k: 'fn'; name: string; a: Expr }
type BodyOp = { name: string; params: Expr[]; args: string[]; tok: Tok }
/** `size`: operations one application expands to; `depth`: nesting of definitions below it (1 = only builtins). */
type GateDef = { params: string[]; args: string[]; body: BodyOp[]; size: number; depth: number }
type Arg = { reg: Register; index: number | null; tok: Tok }

const FUNCS: Record<string, (x: number) => number> = { sin: Math.sin, cos: Math.cos, tan: Math.tan, exp: Math.exp, ln: Math.log, sqrt: Math.sqrt }
/**
 * Bounds that keep a hostile program from exhausting the stack or memory (found by fuzzing): operators
 * and parentheses in one parameter expression, gate-definition nesting, and operations after expansion.
 */
export const QASM_LIMITS = { exprNodes: 1_000, gateDepth: 1_000, ops: 1_000_000 } as const

const UNSUPPORTED: Record<string, string> = { opaque: 'opaque gates are not supported' }

class Parser {
  private pos = 0
  private readonly gates = new Map<string, GateDef>()
  private readonly qregs = new Map<string, Register>()
  private readonly cregs = new Map<string, Register>()
  private numQubits = 0
  private numClbits = 0
  private qelib = false
  private conditions = 0
  /** Operators and parentheses of the expression being parsed (reset per top-level expression). */
  private exprNodes = 0
  readonly ops: CircuitOp[] = []
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    const t = this.toks[this.pos]
    if (t.k === 'bad') this.fail(t, `unexpected character '${t.v}'`)
    return t
  }
  private next(): Tok {
    const t = this.toks[this.pos++]
    if (t.k === 'bad') this.fail(t, `unexpected character '${t.v}'`)
    return t
  }
  private fail(tok: Tok, msg: string): never { throw new QasmError(msg, tok.line, tok.col) }
  private describe(t: Tok): string { return t.k === 'eof' ? 'end of file' : `'${t.v}'` }
  private expect(v: string): Tok {
    const t = this.next()
    if (t.v !== v || t.k === 'str') this.fail(t, `expected '${v}' but found ${this.describe(t)}`)
    return t
  }
  private ident(): Tok {
    const t = this.next()
    if (t.k !== 'id') this.fail(t, `expected an identifier but found ${this.describe(t)}`)
    return t
  }
  private int(): number {
    const t = this.next()
    if (t.k !== 'num' || !/^\d+$/.test(t.v)) this.fail(t, `expected an integer but found ${this.describe(t)}`)
    return Number(t.v)
  }

  parse(): Circuit {
    const head = this.peek()
    if (head.v !== 'OPENQASM' || head.k !== 'id') {
      throw new QasmError(`expected the header 'OPENQASM 2.0;' before ${this.describe(head)}: an OpenQASM 2.0 program must start with it`, head.line, head.col, 'QASM_MISSING_HEADER')
    }
    this.next()
    const v = this.next()
    if (v.k !== 'num' || !v.v.startsWith('2')) this.fail(v, `only OPENQASM 2.0 is supported, found ${this.describe(v)}`)
    this.expect(';')
    while (this.peek().k !== 'eof') this.statement()
    return { numQubits: this.numQubits, numClbits: this.numClbits, qregs: [...this.qregs.values()], cregs: [...this.cregs.values()], ops: this.ops }
  }

  private statement(): void {
    const t = this.peek()
    if (t.k !== 'id') this.fail(t, `expected a statement but found ${this.describe(t)}`)
    if (UNSUPPORTED[t.v]) this.fail(t, UNSUPPORTED[t.v])
    switch (t.v) {
      case 'OPENQASM': this.fail(t, 'OPENQASM header must come first')
      case 'include': {
        this.next()
        const f = this.next()
        if (f.k !== 'str') this.fail(f, `expected a file name string but found ${this.describe(f)}`)
        if (f.v !== 'qelib1.inc') this.fail(f, `cannot include "${f.v}": only "qelib1.inc" is supported`)
        this.qelib = true
        this.expect(';'); return
      }
      case 'qreg': case 'creg': {
        this.next()
        const name = this.ident()
        this.expect('[')
        const size = this.int()
        this.expect(']'); this.expect(';')
        if (this.qregs.has(name.v) || this.cregs.has(name.v)) this.fail(name, `register ${name.v} is already declared`)
        if (size < 1) this.fail(name, `register ${name.v} must have at least one bit`)
        if (t.v === 'qreg') { this.qregs.set(name.v, { name: name.v, size, offset: this.numQubits }); this.numQubits += size }
        else { this.cregs.set(name.v, { name: name.v, size, offset: this.numClbits }); this.numClbits += size }
        return
      }
      case 'gate': return this.gateDef()
      case 'if': return this.conditional()
      case 'measure': {
        this.next()
        const q = this.arg(this.qregs, 'quantum')
        this.expect('->')
        const c = this.arg(this.cregs, 'classical')
        this.expect(';')
        const qn = q.index === null ? q.reg.size : 1, cn = c.index === null ? c.reg.size : 1
        if (qn !== cn) this.fail(c.tok, `measure needs registers of equal size (${qn} qubits, ${cn} bits)`)
        for (let i = 0; i < qn; i++) this.ops.push({ kind: 'measure', qubit: q.reg.offset + (q.index ?? i), clbit: c.reg.offset + (c.index ?? i) })
        return
      }
      case 'reset': {
        this.next()
        const q = this.arg(this.qregs, 'quantum')
        this.expect(';')
        for (let i = 0; i < (q.index === null ? q.reg.size : 1); i++) this.ops.push({ kind: 'reset', qubit: q.reg.offset + (q.index ?? i) })
        return
      }
      case 'barrier': {
        this.next()
        const args = this.argList()
        this.expect(';')
        this.ops.push({ kind: 'barrier', qubits: args.flatMap((a) => a.index === null ? Array.from({ length: a.reg.size }, (_, i) => a.reg.offset + i) : [a.reg.offset + a.index]) })
        return
      }
      default: return this.application()
    }
  }

  /** `if (creg == n) op;` where op is a gate application, measure or reset (OpenQASM 2.0 allows nothing else). */
  private conditional(): void {
    this.next()
    this.expect('(')
    const name = this.ident()
    const reg = this.cregs.get(name.v)
    if (!reg) this.fail(name, this.qregs.has(name.v) ? `if needs a classical register, ${name.v} is quantum` : `unknown classical register ${name.v}`)
    if (this.peek().v === '[') this.fail(this.peek(), `if compares a whole classical register (if (${name.v} == n)), not one bit`)
    this.expect('==')
    const vt = this.peek()
    const value = this.int()
    this.expect(')')
    if (value >= 2 ** reg.size) this.fail(vt, `${name.v} has ${reg.size} bit(s), so it never equals ${value}`)
    const op = this.peek()
    if (op.k !== 'id' || op.v === 'if' || op.v === 'barrier' || op.v === 'gate' || op.v === 'qreg' || op.v === 'creg' || op.v === 'include' || UNSUPPORTED[op.v]) {
      this.fail(op, `expected a gate, measure or reset after if (...) but found ${this.describe(op)}`)
    }
    const from = this.ops.length
    this.statement()
    const cond: Condition = { id: ++this.conditions, creg: reg.name, offset: reg.offset, size: reg.size, value }
    for (let i = from; i < this.ops.length; i++) {
      const o = this.ops[i]
      if (o.kind !== 'barrier') o.cond = cond
    }
  }

  private gateDef(): void {
    this.next()
    const name = this.ident()
    if (this.gates.has(name.v) || this.isBuiltin(name.v)) this.fail(name, `gate ${name.v} is already defined`)
    const params: string[] = []
    if (this.peek().v === '(') {
      this.next()
      if (this.peek().v !== ')') { params.push(this.ident().v); while (this.peek().v === ',') { this.next(); params.push(this.ident().v) } }
      this.expect(')')
    }
    const args = [this.ident().v]
    while (this.peek().v === ',') { this.next(); args.push(this.ident().v) }
    this.expect('{')
    const body: BodyOp[] = []
    while (this.peek().v !== '}') {
      const op = this.ident()
      if (UNSUPPORTED[op.v]) this.fail(op, UNSUPPORTED[op.v])
      if (op.v === 'measure' || op.v === 'reset' || op.v === 'if') this.fail(op, `${op.v} is not allowed inside a gate definition`)
      const pe: Expr[] = []
      if (op.v !== 'barrier' && this.peek().v === '(') {
        this.next()
        if (this.peek().v !== ')') { pe.push(this.topExpr()); while (this.peek().v === ',') { this.next(); pe.push(this.topExpr()) } }
        this.expect(')')
      }
      const oa = [this.ident()]
      while (this.peek().v === ',') { this.next(); oa.push(this.ident()) }
      this.expect(';')
      for (const a of oa) if (!args.includes(a.v)) this.fail(a, `unknown qubit argument ${a.v} in gate ${name.v}`)
      for (const e of pe) this.checkVars(e, params)
      if (op.v !== 'barrier') this.checkCall(op, pe.length, oa.length)
      body.push({ name: op.v, params: pe, args: oa.map((a) => a.v), tok: op })
    }
    this.expect('}')
    // Sizes are known per definition, so a blow-up is refused before anything is expanded.
    let size = 0
    let depth = 1
    for (const op of body) {
      const def = this.gates.get(op.name)
      size += def ? def.size : 1
      if (def) depth = Math.max(depth, def.depth + 1)
    }
    if (depth > QASM_LIMITS.gateDepth) this.fail(name, `gate definitions nest more than ${QASM_LIMITS.gateDepth} deep`)
    this.gates.set(name.v, { params, args, body, size, depth })
  }

  private isBuiltin(name: string): boolean {
    return name === 'U' || name === 'CX' || (this.qelib && name in GATE_ARITY)
  }

  private checkCall(tok: Tok, nParams: number, nArgs: number): void {
    const def = this.gates.get(tok.v)
    const arity = def ? { params: def.params.length, qubits: def.args.length } : this.isBuiltin(tok.v) ? GATE_ARITY[tok.v] : undefined
    if (!arity) this.fail(tok, GATE_ARITY[tok.v] ? `gate ${tok.v} needs include "qelib1.inc"` : `unknown gate ${tok.v}`)
    if (arity.params !== nParams) this.fail(tok, `gate ${tok.v} takes ${arity.params} parameter(s), got ${nParams}`)
    if (arity.qubits !== nArgs) this.fail(tok, `gate ${tok.v} acts on ${arity.qubits} qubit(s), got ${nArgs}`)
  }

  private checkVars(e: Expr, params: string[]): void {
    if (e.k === 'var' && !params.includes(e.name)) this.fail(e.tok, `unknown parameter ${e.name}`)
    if (e.k === 'bin') { this.checkVars(e.a, params); this.checkVars(e.b, params) }
    if (e.k === 'neg' || e.k === 'fn') this.checkVars(e.a, params)
  }

  private application(): void {
    const name = this.ident()
    const pe: Expr[] = []
    if (this.peek().v === '(') {
      this.next()
      if (this.peek().v !== ')') { pe.push(this.topExpr()); while (this.peek().v === ',') { this.next(); pe.push(this.topExpr()) } }
      this.expect(')')
    }
    const args = this.argList()
    this.expect(';')
    this.checkCall(name, pe.length, args.length)
    for (const e of pe) this.checkVars(e, [])
    const params = pe.map((e) => evaluate(e, new Map()))
    let width = 1
    for (const a of args) if (a.index === null) {
      if (width !== 1 && a.reg.size !== width) this.fail(a.tok, `registers of different sizes in one gate (${width} and ${a.reg.size})`)
      width = a.reg.size
    }
    for (let i = 0; i < width; i++) {
      const qs = args.map((a) => a.reg.offset + (a.index ?? i))
      if (new Set(qs).size !== qs.length) this.fail(name, `gate ${name.v} uses a qubit twice`)
      const size = this.gates.get(name.v)?.size ?? 1
      if (this.ops.length + size > QASM_LIMITS.ops) this.fail(name, `circuit expands to more than ${QASM_LIMITS.ops} operations`)
      this.expand(name.v, qs, params)
    }
  }

  /** Appends one application; recursion is bounded by QASM_LIMITS.gateDepth, checked at definition. */
  private expand(name: string, qs: number[], params: number[]): void {
    const def = this.gates.get(name)
    if (!def) { this.ops.push({ kind: 'gate', name, qubits: qs, params }); return }
    const env = new Map(def.params.map((p, i) => [p, params[i]]))
    const bind = new Map(def.args.map((a, i) => [a, qs[i]]))
    for (const op of def.body) {
      const oqs = op.args.map((a) => bind.get(a)!)
      if (op.name === 'barrier') { this.ops.push({ kind: 'barrier', qubits: oqs }); continue }
      if (new Set(oqs).size !== oqs.length) this.fail(op.tok, `gate ${op.name} uses a qubit twice`)
      this.expand(op.name, oqs, op.params.map((e) => evaluate(e, env)))
    }
  }

  private arg(regs: Map<string, Register>, kind: string): Arg {
    const name = this.ident()
    const reg = regs.get(name.v)
    if (!reg) this.fail(name, `unknown ${kind} register ${name.v}`)
    if (this.peek().v !== '[') return { reg, index: null, tok: name }
    this.next()
    const it = this.peek()
    const index = this.int()
    this.expect(']')
    if (index >= reg.size) this.fail(it, `index ${index} out of range for ${name.v}[${reg.size}]`)
    return { reg, index, tok: name }
  }

  private argList(): Arg[] {
    const args = [this.arg(this.qregs, 'quantum')]
    while (this.peek().v === ',') { this.next(); args.push(this.arg(this.qregs, 'quantum')) }
    return args
  }

  // Expressions, lowest precedence first: + -, * /, unary -, ^ (right-associative), atoms. Every
  // operator and parenthesis counts against QASM_LIMITS.exprNodes, which bounds the tree's depth and so
  // the recursion here and in evaluate().
  private topExpr(): Expr {
    this.exprNodes = 0
    return this.expr()
  }
  private grow(): void {
    if (++this.exprNodes > QASM_LIMITS.exprNodes) this.fail(this.peek(), `expression too large (more than ${QASM_LIMITS.exprNodes} operators and parentheses)`)
  }
  private expr(): Expr {
    let a = this.term()
    while (this.peek().v === '+' || this.peek().v === '-') { this.grow(); const op = this.next().v; a = { k: 'bin', op, a, b: this.term() } }
    return a
  }
  private term(): Expr {
    let a = this.unary()
    while (this.peek().v === '*' || this.peek().v === '/') { this.grow(); const op = this.next().v; a = { k: 'bin', op, a, b: this.unary() } }
    return a
  }
  private unary(): Expr {
    if (this.peek().v === '-') { this.grow(); this.next(); return { k: 'neg', a: this.unary() } }
    if (this.peek().v === '+') { this.grow(); this.next(); return this.unary() }
    const a = this.atom()
    if (this.peek().v === '^') { this.grow(); this.next(); return { k: 'bin', op: '^', a, b: this.unary() } }
    return a
  }
  private atom(): Expr {
    if (this.peek().v === '(' || FUNCS[this.peek().v]) this.grow()
    const t = this.next()
    if (t.k === 'num') return { k: 'num', v: Number(t.v) }
    if (t.v === '(' && t.k === 'sym') { const e = this.expr(); this.expect(')'); return e }
    if (t.k === 'id') {
      if (t.v === 'pi') return { k: 'num', v: Math.PI }
      if (FUNCS[t.v]) { this.expect('('); const a = this.expr(); this.expect(')'); return { k: 'fn', name: t.v, a } }
      return { k: 'var', name: t.v, tok: t }
    }
    this.fail(t, `expected an expression but found ${this.describe(t)}`)
  }
}

function evaluate(e: Expr, env: Map<string, number>): number {
  switch (e.k) {
    case 'num': return e.v
    case 'var': return env.get(e.name)!
    case 'neg': return -evaluate(e.a, env)
    case 'fn': return FUNCS[e.name](evaluate(e.a, env))
    case 'bin': {
      const a = evaluate(e.a, env), b = evaluate(e.b, env)
      return e.op === '+' ? a + b : e.op === '-' ? a - b : e.op === '*' ? a * b : e.op === '/' ? a / b : a ** b
    }
  }
}

/** Parses OpenQASM 2.0 source into a flat circuit. Throws QasmError (with line and column) on anything invalid or unsupported. */
export function parseQasm(source: string): Circuit {
  return new Parser(tokenize(source)).parse()
}
