// OpenQASM 2.0 parser in AssemblyScript, a port of kernels/statevector/qasm.ts (tokens from lexer.ts, parameter
// expressions from expr.ts): user gate expansion and register broadcast, with the same error messages and positions.
// AssemblyScript has no exceptions, so the first error is recorded and every step returns early after it.
import { gateCode, GATE_PARAMS, GATE_QUBITS } from "./gates";
import { Lexer, Tok, T_BAD, T_EOF, T_ID, T_NUM, T_STR, T_SYM, isDigit } from "./lexer";
import { Expr, E_BIN, E_FN, E_NEG, E_VAR, FUNCS, bin, evaluate } from "./expr";

/** Op kinds of a flattened circuit. */
export const OP_GATE: i32 = 0;
export const OP_MEASURE: i32 = 1;
export const OP_RESET: i32 = 2;

/** Flattened gate applications above this count are refused (nested user gates can blow up exponentially). */
export const MAX_OPS: i32 = 4_000_000;
/** Registers may declare at most this many qubits in total before the parser stops (the simulator fits far fewer). */
export const MAX_DECLARED_QUBITS: i32 = 64;
/** Classical bits in total. */
export const MAX_CLBITS: i32 = 1 << 16;

class BodyOp {
  constructor(public name: string, public params: Expr[], public args: string[], public tok: Tok) {}
}

class GateDef {
  constructor(public params: string[], public args: string[], public body: BodyOp[]) {}
}

class Register {
  constructor(public name: string, public size: i32, public offset: i32) {}
}

class Arg {
  constructor(public reg: Register, public index: i32, public tok: Tok) {}
}

/** A parsed, flattened circuit: kind[i], gate[i], q[3i..3i+2] (measure: qubit, clbit), p[3i..3i+2]. */
export class Circuit {
  numQubits: i32 = 0;
  numClbits: i32 = 0;
  kind: i32[] = [];
  gate: i32[] = [];
  q: i32[] = [];
  p: f64[] = [];
  /** Per op: the id of its `if (creg == value)` condition, 0 when unconditional. */
  cond: i32[] = [];
  /** Per condition id (index 0 unused): the register's first bit, its size and the value compared. */
  condOffset: i32[] = [0];
  condSize: i32[] = [0];
  condValue: f64[] = [0];
  /** Gate applications as simulateQasm counts them: a qelib1 prelude gate (c3x, ...) is one, whatever its body. */
  gates: i32 = 0;
  get length(): i32 { return this.kind.length; }
}

/** The result of parsing: a circuit, or the first error with its position. */
export class ParseResult {
  circuit: Circuit = new Circuit();
  error: string | null = null;
  /** "QASM_SYNTAX", "QASM_UNSUPPORTED" or "TOO_MANY_QUBITS". */
  code: string = "QASM_SYNTAX";
  line: i32 = 0;
  column: i32 = 0;
}

function unsupported(name: string): string | null {
  if (name == "opaque") return "opaque gates are not supported";
  return null;
}

class Parser {
  private pos: i32 = 0;
  private gates: Map<string, GateDef> = new Map();
  private qregs: Map<string, Register> = new Map();
  private cregs: Map<string, Register> = new Map();
  private qelib: bool = false;
  private depth: i32 = 0;
  readonly c: Circuit = new Circuit();
  /** Condition id given to ops pushed now (inside an `if` statement), else 0. */
  private curCond: i32 = 0;
  /** Names of the qelib1 gates defined by the prelude, and how deep an expansion is inside one of them. */
  private prelude: Set<string> = new Set();
  private inPrelude: i32 = 0;
  error: string | null = null;
  code: string = "QASM_SYNTAX";
  errLine: i32 = 0;
  errCol: i32 = 0;
  private eof: Tok;

  constructor(private toks: Tok[]) { this.eof = toks[toks.length - 1]; }

  @inline get ok(): bool { return this.error === null; }

  private fail(tok: Tok, msg: string, code: string = "QASM_SYNTAX"): void {
    if (this.error !== null) return;
    this.error = msg; this.code = code; this.errLine = tok.line; this.errCol = tok.col;
  }

  private peek(): Tok {
    if (!this.ok) return this.eof;
    const t = this.toks[this.pos];
    if (t.k == T_BAD) { this.fail(t, "unexpected character '" + t.v + "'"); return this.eof; }
    return t;
  }

  private next(): Tok {
    const t = this.peek();
    if (this.ok && t.k != T_EOF) this.pos++;
    return t;
  }

  private describe(t: Tok): string { return t.k == T_EOF ? "end of file" : "'" + t.v + "'"; }

  private expect(v: string): Tok {
    const t = this.next();
    if (t.v != v || t.k == T_STR) this.fail(t, "expected '" + v + "' but found " + this.describe(t));
    return t;
  }

  private ident(): Tok {
    const t = this.next();
    if (t.k != T_ID) this.fail(t, "expected an identifier but found " + this.describe(t));
    return t;
  }

  private int(): i32 {
    const t = this.next();
    let digits = t.k == T_NUM && t.v.length > 0;
    for (let i = 0; digits && i < t.v.length; i++) if (!isDigit(t.v.charCodeAt(i))) digits = false;
    if (!digits) { this.fail(t, "expected an integer but found " + this.describe(t)); return 0; }
    const x = parseFloat(t.v);
    return x > 2147483647 ? 2147483647 : <i32>x;
  }

  parse(): void {
    const head = this.peek();
    if (head.v != "OPENQASM" || head.k != T_ID) {
      this.fail(head, "expected the header 'OPENQASM 2.0;' before " + this.describe(head) + ": an OpenQASM 2.0 program must start with it", "QASM_MISSING_HEADER");
      return;
    }
    this.next();
    const v = this.next();
    if (v.k != T_NUM || !v.v.startsWith("2")) this.fail(v, "only OPENQASM 2.0 is supported, found " + this.describe(v), "QASM_UNSUPPORTED");
    this.expect(";");
    while (this.ok && this.peek().k != T_EOF) this.statement();
  }

  private statement(): void {
    const t = this.peek();
    if (!this.ok) return;
    if (t.k != T_ID) { this.fail(t, "expected a statement but found " + this.describe(t)); return; }
    const u = unsupported(t.v);
    if (u !== null) { this.fail(t, u, "QASM_UNSUPPORTED"); return; }
    if (t.v == "OPENQASM") { this.fail(t, "OPENQASM header must come first"); return; }
    if (t.v == "include") {
      this.next();
      const f = this.next();
      if (f.k != T_STR) { this.fail(f, "expected a file name string but found " + this.describe(f)); return; }
      if (f.v != "qelib1.inc") { this.fail(f, "cannot include \"" + f.v + "\": only \"qelib1.inc\" is supported", "QASM_UNSUPPORTED"); return; }
      this.qelib = true;
      this.expect(";");
      this.definePrelude();
    } else if (t.v == "qreg" || t.v == "creg") this.register(t);
    else if (t.v == "gate") this.gateDef();
    else if (t.v == "measure") this.measure();
    else if (t.v == "if") this.conditional();
    else if (t.v == "reset") {
      this.next();
      const q = this.arg(this.qregs, "quantum");
      this.expect(";");
      if (!this.ok) return;
      const count = q.index < 0 ? q.reg.size : 1;
      for (let i = 0; i < count; i++) this.push(2, -1, q.reg.offset + (q.index < 0 ? i : q.index), 0, -1, 0, 0, 0);
    } else if (t.v == "barrier") {
      this.next();
      this.argList();
      this.expect(";");
    } else this.application();
  }

  /** `if (creg == n) op;` where op is a gate application, measure or reset (OpenQASM 2.0 allows nothing else). */
  private conditional(): void {
    this.next();
    this.expect("(");
    const name = this.ident();
    if (!this.ok) return;
    if (!this.cregs.has(name.v)) {
      this.fail(name, this.qregs.has(name.v) ? "if needs a classical register, " + name.v + " is quantum" : "unknown classical register " + name.v);
      return;
    }
    const reg = this.cregs.get(name.v);
    if (this.peek().v == "[") { this.fail(this.peek(), "if compares a whole classical register (if (" + name.v + " == n)), not one bit"); return; }
    this.expect("==");
    const vt = this.peek();
    const value = this.int();
    this.expect(")");
    if (!this.ok) return;
    if (reg.size < 31 && value >= (1 << reg.size)) { this.fail(vt, name.v + " has " + reg.size.toString() + " bit(s), so it never equals " + value.toString()); return; }
    const op = this.peek();
    if (op.k != T_ID || op.v == "if" || op.v == "barrier" || op.v == "gate" || op.v == "qreg" || op.v == "creg" || op.v == "include" || op.v == "OPENQASM" || unsupported(op.v) !== null) {
      this.fail(op, "expected a gate, measure or reset after if (...) but found " + this.describe(op));
      return;
    }
    const c = this.c;
    c.condOffset.push(reg.offset); c.condSize.push(reg.size); c.condValue.push(<f64>value);
    this.curCond = c.condOffset.length - 1;
    this.statement();
    this.curCond = 0;
  }

  /**
   * The qelib1.inc gates the engine has no kernel for (csx, cu, ryy, rccx, rc3x, c3x, c4x), defined as gate
   * bodies of built-in gates: qelib1's own bodies for rccx and rc3x, exact decompositions (equal up to a
   * global phase) for the others; the multi-controlled X gates as H, a multi-controlled phase, H.
   */
  private definePrelude(): void {
    const src = String.UTF8.encode(QELIB_EXTRA);
    const lexer = new Lexer(changetype<usize>(src), src.byteLength);
    lexer.run();
    const sub = new Parser(lexer.toks);
    sub.qelib = true;
    while (sub.ok && sub.peek().k != T_EOF) sub.statement();
    if (!sub.ok) { this.fail(this.eof, "internal error in the qelib1 prelude: " + sub.error!); return; }
    const names = sub.gates.keys();
    for (let i = 0; i < names.length; i++) { this.gates.set(names[i], sub.gates.get(names[i])); this.prelude.add(names[i]); }
  }

  private register(t: Tok): void {
    this.next();
    const name = this.ident();
    this.expect("[");
    const size = this.int();
    this.expect("]");
    this.expect(";");
    if (!this.ok) return;
    if (this.qregs.has(name.v) || this.cregs.has(name.v)) { this.fail(name, "register " + name.v + " is already declared"); return; }
    if (size < 1) { this.fail(name, "register " + name.v + " must have at least one bit"); return; }
    if (t.v == "qreg") {
      if (<i64>this.c.numQubits + size > MAX_DECLARED_QUBITS) {
        this.fail(name, "the circuit declares more than " + MAX_DECLARED_QUBITS.toString() + " qubits", "TOO_MANY_QUBITS");
        return;
      }
      this.qregs.set(name.v, new Register(name.v, size, this.c.numQubits));
      this.c.numQubits += size;
    } else {
      if (<i64>this.c.numClbits + size > MAX_CLBITS) { this.fail(name, "the circuit declares more than " + MAX_CLBITS.toString() + " classical bits"); return; }
      this.cregs.set(name.v, new Register(name.v, size, this.c.numClbits));
      this.c.numClbits += size;
    }
  }

  private measure(): void {
    this.next();
    const q = this.arg(this.qregs, "quantum");
    this.expect("->");
    const c = this.arg(this.cregs, "classical");
    this.expect(";");
    if (!this.ok) return;
    const qn = q.index < 0 ? q.reg.size : 1, cn = c.index < 0 ? c.reg.size : 1;
    if (qn != cn) { this.fail(c.tok, "measure needs registers of equal size (" + qn.toString() + " qubits, " + cn.toString() + " bits)"); return; }
    for (let i = 0; i < qn; i++) this.push(1, -1, q.reg.offset + (q.index < 0 ? i : q.index), c.reg.offset + (c.index < 0 ? i : c.index), -1, 0, 0, 0);
  }

  private push(kind: i32, gate: i32, a: i32, b: i32, c: i32, p0: f64, p1: f64, p2: f64): void {
    const k = this.c.kind;
    if (k.length >= MAX_OPS) { this.fail(this.toks[this.pos > 0 ? this.pos - 1 : 0], "the circuit expands to more than " + MAX_OPS.toString() + " operations"); return; }
    k.push(kind); this.c.gate.push(gate); this.c.cond.push(this.curCond);
    this.c.q.push(a); this.c.q.push(b); this.c.q.push(c);
    this.c.p.push(p0); this.c.p.push(p1); this.c.p.push(p2);
  }

  private paramList(out: Expr[]): void {
    this.next();
    if (this.peek().v != ")") {
      out.push(this.expr());
      while (this.ok && this.peek().v == ",") { this.next(); out.push(this.expr()); }
    }
    this.expect(")");
  }

  private gateDef(): void {
    this.next();
    const name = this.ident();
    if (!this.ok) return;
    if (this.gates.has(name.v) || this.isBuiltin(name.v)) { this.fail(name, "gate " + name.v + " is already defined"); return; }
    const params: string[] = [];
    if (this.peek().v == "(") {
      this.next();
      if (this.peek().v != ")") {
        params.push(this.ident().v);
        while (this.ok && this.peek().v == ",") { this.next(); params.push(this.ident().v); }
      }
      this.expect(")");
    }
    const args: string[] = [this.ident().v];
    while (this.ok && this.peek().v == ",") { this.next(); args.push(this.ident().v); }
    this.expect("{");
    const body: BodyOp[] = [];
    while (this.ok && this.peek().v != "}") {
      const op = this.ident();
      if (!this.ok) return;
      const u = unsupported(op.v);
      if (u !== null) { this.fail(op, u, "QASM_UNSUPPORTED"); return; }
      if (op.v == "measure" || op.v == "reset" || op.v == "if") { this.fail(op, op.v + " is not allowed inside a gate definition"); return; }
      const pe: Expr[] = [];
      if (op.v != "barrier" && this.peek().v == "(") this.paramList(pe);
      const oa: Tok[] = [this.ident()];
      while (this.ok && this.peek().v == ",") { this.next(); oa.push(this.ident()); }
      this.expect(";");
      if (!this.ok) return;
      for (let i = 0; i < oa.length; i++) if (!args.includes(oa[i].v)) { this.fail(oa[i], "unknown qubit argument " + oa[i].v + " in gate " + name.v); return; }
      for (let i = 0; i < pe.length; i++) this.checkVars(pe[i], params);
      if (op.v != "barrier") this.checkCall(op, pe.length, oa.length);
      if (!this.ok) return;
      const names: string[] = [];
      for (let i = 0; i < oa.length; i++) names.push(oa[i].v);
      body.push(new BodyOp(op.v, pe, names, op));
    }
    this.expect("}");
    if (this.ok) this.gates.set(name.v, new GateDef(params, args, body));
  }

  private isBuiltin(name: string): bool {
    return name == "U" || name == "CX" || (this.qelib && gateCode(name) >= 0);
  }

  private checkCall(tok: Tok, nParams: i32, nArgs: i32): void {
    let params = -1, qubits = -1;
    if (this.gates.has(tok.v)) {
      const def = this.gates.get(tok.v);
      params = def.params.length; qubits = def.args.length;
    } else if (this.isBuiltin(tok.v)) {
      const code = gateCode(tok.v);
      params = GATE_PARAMS[code]; qubits = GATE_QUBITS[code];
    } else {
      this.fail(tok, gateCode(tok.v) >= 0 ? "gate " + tok.v + " needs include \"qelib1.inc\"" : "unknown gate " + tok.v);
      return;
    }
    if (params != nParams) this.fail(tok, "gate " + tok.v + " takes " + params.toString() + " parameter(s), got " + nParams.toString());
    else if (qubits != nArgs) this.fail(tok, "gate " + tok.v + " acts on " + qubits.toString() + " qubit(s), got " + nArgs.toString());
  }

  private checkVars(e: Expr, params: string[]): void {
    if (e.k == E_VAR && !params.includes(e.name)) this.fail(e.tok!, "unknown parameter " + e.name);
    if (e.k == E_BIN) { this.checkVars(e.a!, params); this.checkVars(e.b!, params); }
    if (e.k == E_NEG || e.k == E_FN) this.checkVars(e.a!, params);
  }

  private application(): void {
    const name = this.ident();
    const pe: Expr[] = [];
    if (this.peek().v == "(") this.paramList(pe);
    const args = this.argList();
    this.expect(";");
    if (!this.ok) return;
    this.checkCall(name, pe.length, args.length);
    for (let i = 0; i < pe.length; i++) this.checkVars(pe[i], []);
    if (!this.ok) return;
    const params: f64[] = [];
    const none: string[] = [];
    const noVals: f64[] = [];
    for (let i = 0; i < pe.length; i++) params.push(evaluate(pe[i], none, noVals));
    let width = 1;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a.index >= 0) continue;
      if (width != 1 && a.reg.size != width) { this.fail(a.tok, "registers of different sizes in one gate (" + width.toString() + " and " + a.reg.size.toString() + ")"); return; }
      width = a.reg.size;
    }
    for (let i = 0; i < width && this.ok; i++) {
      const qs: i32[] = [];
      for (let j = 0; j < args.length; j++) qs.push(args[j].reg.offset + (args[j].index < 0 ? i : args[j].index));
      if (hasDuplicate(qs)) { this.fail(name, "gate " + name.v + " uses a qubit twice"); return; }
      this.expand(name.v, qs, params);
    }
  }

  private expand(name: string, qs: i32[], params: f64[]): void {
    if (!this.gates.has(name)) {
      if (this.inPrelude == 0) this.c.gates++;
      const code = gateCode(name);
      this.push(0, code, qs[0], qs.length > 1 ? qs[1] : -1, qs.length > 2 ? qs[2] : -1,
        params.length > 0 ? params[0] : 0, params.length > 1 ? params[1] : 0, params.length > 2 ? params[2] : 0);
      return;
    }
    const def = this.gates.get(name);
    const builtin = this.prelude.has(name);
    if (builtin) { if (this.inPrelude == 0) this.c.gates++; this.inPrelude++; }
    for (let i = 0; i < def.body.length && this.ok; i++) {
      const op = def.body[i];
      if (op.name == "barrier") continue;
      const oqs: i32[] = [];
      // Like a JS Map built from the lists, a repeated name binds to its last position.
      for (let j = 0; j < op.args.length; j++) oqs.push(qs[def.args.lastIndexOf(op.args[j])]);
      if (hasDuplicate(oqs)) { this.fail(op.tok, "gate " + op.name + " uses a qubit twice"); return; }
      const ps: f64[] = [];
      for (let j = 0; j < op.params.length; j++) ps.push(evaluate(op.params[j], def.params, params));
      this.expand(op.name, oqs, ps);
    }
    if (builtin) this.inPrelude--;
  }

  private arg(regs: Map<string, Register>, kind: string): Arg {
    const name = this.ident();
    const dummy = new Arg(new Register("", 1, 0), 0, name);
    if (!this.ok) return dummy;
    if (!regs.has(name.v)) { this.fail(name, "unknown " + kind + " register " + name.v); return dummy; }
    const reg = regs.get(name.v);
    if (this.peek().v != "[") return new Arg(reg, -1, name);
    this.next();
    const it = this.peek();
    const index = this.int();
    this.expect("]");
    if (!this.ok) return dummy;
    if (index >= reg.size) { this.fail(it, "index " + index.toString() + " out of range for " + name.v + "[" + reg.size.toString() + "]"); return dummy; }
    return new Arg(reg, index, name);
  }

  private argList(): Arg[] {
    const args: Arg[] = [this.arg(this.qregs, "quantum")];
    while (this.ok && this.peek().v == ",") { this.next(); args.push(this.arg(this.qregs, "quantum")); }
    return args;
  }

  // Expressions, lowest precedence first: + -, * /, unary -, ^ (right-associative), atoms.
  private expr(): Expr {
    if (++this.depth > 500) { this.fail(this.peek(), "expression nested too deeply"); }
    let a = this.term();
    while (this.ok && (this.peek().v == "+" || this.peek().v == "-") && this.peek().k == T_SYM) {
      const op = this.next().v;
      a = bin(op.charCodeAt(0), a, this.term());
    }
    this.depth--;
    return a;
  }

  private term(): Expr {
    let a = this.unary();
    while (this.ok && (this.peek().v == "*" || this.peek().v == "/") && this.peek().k == T_SYM) {
      const op = this.next().v;
      a = bin(op.charCodeAt(0), a, this.unary());
    }
    return a;
  }

  private unary(): Expr {
    if (++this.depth > 500) { this.fail(this.peek(), "expression nested too deeply"); }
    let r: Expr;
    if (this.ok && this.peek().v == "-" && this.peek().k == T_SYM) {
      this.next();
      r = new Expr(); r.k = E_NEG; r.a = this.unary();
    } else if (this.ok && this.peek().v == "+" && this.peek().k == T_SYM) {
      this.next();
      r = this.unary();
    } else {
      r = this.atom();
      if (this.ok && this.peek().v == "^" && this.peek().k == T_SYM) {
        this.next();
        r = bin(94, r, this.unary());
      }
    }
    this.depth--;
    return r;
  }

  private atom(): Expr {
    const t = this.next();
    const e = new Expr();
    if (!this.ok) return e;
    if (t.k == T_NUM) { e.v = parseFloat(t.v); return e; }
    if (t.v == "(" && t.k == T_SYM) { const inner = this.expr(); this.expect(")"); return inner; }
    if (t.k == T_ID) {
      if (t.v == "pi") { e.v = Math.PI; return e; }
      const f = FUNCS.indexOf(t.v);
      if (f >= 0) {
        this.expect("(");
        e.k = E_FN; e.op = f; e.a = this.expr();
        this.expect(")");
        return e;
      }
      e.k = E_VAR; e.name = t.v; e.tok = t;
      return e;
    }
    this.fail(t, "expected an expression but found " + this.describe(t));
    return e;
  }
}

// c3p(l) a,b,c,d (a triply controlled phase) inlined: cp(l/2) c,d; ccx a,b,c; cp(-l/2) c,d; ccx a,b,c; then the
// doubly controlled phase l/2 on a,b -> d: cp(l/4) b,d; cx a,b; cp(-l/4) b,d; cx a,b; cp(l/4) a,d.
const QELIB_EXTRA = `
gate csx a,b { u1(pi/4) a; cu3(pi/2,-pi/2,pi/2) a,b; }
gate cu(theta,phi,lambda,gamma) c,t { p(gamma) c; cu3(theta,phi,lambda) c,t; }
gate ryy(theta) a,b { rx(pi/2) a; rx(pi/2) b; cx a,b; rz(theta) b; cx a,b; rx(-pi/2) a; rx(-pi/2) b; }
gate rccx a,b,c { u2(0,pi) c; u1(pi/4) c; cx b,c; u1(-pi/4) c; cx a,c; u1(pi/4) c; cx b,c; u1(-pi/4) c; u2(0,pi) c; }
gate rc3x a,b,c,d { u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; }
gate c3x a,b,c,d { h d; cp(pi/2) c,d; ccx a,b,c; cp(-pi/2) c,d; ccx a,b,c; cp(pi/4) b,d; cx a,b; cp(-pi/4) b,d; cx a,b; cp(pi/4) a,d; h d; }
gate c4x a,b,c,d,e { h e; cp(pi/2) d,e; c3x a,b,c,d; cp(-pi/2) d,e; c3x a,b,c,d; cp(pi/4) c,e; ccx a,b,c; cp(-pi/4) c,e; ccx a,b,c; cp(pi/8) b,e; cx a,b; cp(-pi/8) b,e; cx a,b; cp(pi/8) a,e; h e; }
`;

function hasDuplicate(qs: i32[]): bool {
  for (let i = 0; i < qs.length; i++) for (let j = i + 1; j < qs.length; j++) if (qs[i] == qs[j]) return true;
  return false;
}

/** Parses OpenQASM 2.0 source (UTF-8 bytes at `src`) into a flat circuit, or the first error with line and column. */
export function parseQasm(src: usize, len: i32): ParseResult {
  const r = new ParseResult();
  const lexer = new Lexer(src, len);
  lexer.run();
  if (lexer.error !== null) {
    r.error = lexer.error; r.line = lexer.errLine; r.column = lexer.errCol;
    return r;
  }
  const p = new Parser(lexer.toks);
  p.parse();
  r.circuit = p.c;
  if (p.error !== null) { r.error = p.error; r.code = p.code; r.line = p.errLine; r.column = p.errCol; }
  return r;
}

