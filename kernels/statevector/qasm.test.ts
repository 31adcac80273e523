// The OpenQASM 2.0 front end: what it accepts, how it flattens, and the line/column of what it rejects.
import { describe, expect, it } from 'vitest'
import { QasmError } from './errors.js'
import { parseQasm } from './qasm.js'

const HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'

function errorOf(src: string): QasmError {
  try {
    parseQasm(src)
  } catch (err) {
    expect(err).toBeInstanceOf(QasmError)
    return err as QasmError
  }
  throw new Error('expected a QasmError')
}

describe('parseQasm', () => {
  it('numbers registers in declaration order and broadcasts over whole registers', () => {
    const c = parseQasm(HEAD + 'qreg a[2];\nqreg b[2];\ncreg m[2];\ncx a,b;\nh a[1];\nmeasure b -> m;\n')
    expect(c.numQubits).toBe(4)
    expect(c.qregs.map((r) => [r.name, r.offset])).toEqual([['a', 0], ['b', 2]])
    expect(c.ops).toEqual([
      { kind: 'gate', name: 'cx', qubits: [0, 2], params: [] },
      { kind: 'gate', name: 'cx', qubits: [1, 3], params: [] },
      { kind: 'gate', name: 'h', qubits: [1], params: [] },
      { kind: 'measure', qubit: 2, clbit: 0 },
      { kind: 'measure', qubit: 3, clbit: 1 },
    ])
  })

  it('evaluates parameter expressions with pi, functions, precedence and right-associative ^', () => {
    const c = parseQasm(HEAD + 'qreg q[1];\nrz(-pi/2 + 3*2^2^0.5e0) q[0];\nu3(sin(pi/2), cos(0)*-1, sqrt(4)/ln(exp(2))) q[0];\n')
    const p = (c.ops[0] as { params: number[] }).params[0]
    expect(p).toBeCloseTo(-Math.PI / 2 + 3 * 2 ** (2 ** 0.5), 12)
    expect((c.ops[1] as { params: number[] }).params).toEqual([1, -1, 1])
  })

  it('expands user gates with parameters, nested calls and comments', () => {
    const c = parseQasm(HEAD + '/* block\ncomment */ gate rot(t) a { rz(t/2) a; }\ngate two(t) a, b { rot(t*2) a; cx a, b; // x\n}\nqreg q[2];\ntwo(pi) q[1], q[0];\n')
    expect(c.ops).toEqual([
      { kind: 'gate', name: 'rz', qubits: [1], params: [Math.PI] },
      { kind: 'gate', name: 'cx', qubits: [1, 0], params: [] },
    ])
  })

  it('keeps barriers and resets, and accepts U and CX without qelib1', () => {
    const c = parseQasm('OPENQASM 2.0;\nqreg q[2];\nU(0,0,0) q[0];\nCX q[0],q[1];\nbarrier q;\nreset q[1];\n')
    expect(c.ops.map((o) => o.kind)).toEqual(['gate', 'gate', 'barrier', 'reset'])
  })

  const rejected: [string, string, number, number, RegExp][] = [
    ['an if on a quantum register', HEAD + 'qreg q[1];\ncreg c[1];\nif(q==1) x q[0];\n', 5, 4, /if needs a classical register, q is quantum/],
    ['an if on one bit', HEAD + 'qreg q[1];\ncreg c[2];\nif(c[0]==1) x q[0];\n', 5, 5, /compares a whole classical register/],
    ['an if value the register cannot hold', HEAD + 'qreg q[1];\ncreg c[2];\nif (c == 4) x q[0];\n', 5, 10, /c has 2 bit\(s\), so it never equals 4/],
    ['an if around a barrier', HEAD + 'qreg q[1];\ncreg c[1];\nif (c==1) barrier q;\n', 5, 11, /expected a gate, measure or reset after if/],
    ['an if inside a gate body', HEAD + 'creg c[1];\ngate g a { if (c==1) x a; }\n', 4, 12, /if is not allowed inside a gate definition/],
    ['opaque', HEAD + 'opaque magic a;\n', 3, 1, /opaque gates are not supported/],
    ['a missing semicolon', HEAD + 'qreg q[1]\nh q[0];\n', 4, 1, /expected ';' but found 'h'/],
    ['an unknown gate', HEAD + 'qreg q[1];\nfoo q[0];\n', 4, 1, /unknown gate foo/],
    ['qelib gates without the include', 'OPENQASM 2.0;\nqreg q[1];\n  h q[0];\n', 3, 3, /needs include "qelib1.inc"/],
    ['another include', 'OPENQASM 2.0;\ninclude "other.inc";\n', 2, 9, /only "qelib1.inc"/],
    ['an index out of range', HEAD + 'qreg q[2];\nh q[2];\n', 4, 5, /index 2 out of range/],
    ['a wrong parameter count', HEAD + 'qreg q[1];\nrz q[0];\n', 4, 1, /takes 1 parameter/],
    ['a repeated qubit', HEAD + 'qreg q[2];\ncx q[0],q[0];\n', 4, 1, /uses a qubit twice/],
    ['an unknown register', HEAD + 'qreg q[1];\nh r[0];\n', 4, 3, /unknown quantum register r/],
    ['an unknown parameter', HEAD + 'gate g(a) x { rz(b) x; }\n', 3, 18, /unknown parameter b/],
    ['a stray character', HEAD + 'qreg q[1];\nh q[0]; @\n', 4, 9, /unexpected character '@'/],
    ['OPENQASM 3', 'OPENQASM 3.0;\n', 1, 10, /only OPENQASM 2.0/],
    ['mismatched measure sizes', HEAD + 'qreg q[2];\ncreg c[1];\nmeasure q -> c;\n', 5, 14, /equal size/],
    ['a truncated program', HEAD + 'qreg q[1];\nrz(pi', 4, 6, /expected '\)' but found end of file/],
  ]
  it('refuses a program without the OPENQASM 2.0 header, naming the first line, with its own code', () => {
    for (const [src, line, column, found] of [
      ['include "qelib1.inc";\nqreg q[1];\n', 1, 1, "'include'"],
      ['// a comment first\n\n  qreg q[1];\nh q[0];\n', 3, 3, "'qreg'"],
      ['', 1, 1, 'end of file'],
    ] as const) {
      const err = errorOf(src)
      expect(err.code).toBe('QASM_MISSING_HEADER')
      expect([err.line, err.column]).toEqual([line, column])
      expect(err.message).toBe(`line ${line}, column ${column}: expected the header 'OPENQASM 2.0;' before ${found}: an OpenQASM 2.0 program must start with it`)
    }
    expect(errorOf(HEAD + 'qreg q[1];\nfoo q[0];\n').code).toBe('QASM_ERROR')
  })

  it('attaches an if condition to every op its statement expands to, evaluated once per statement', () => {
    const c = parseQasm(HEAD + 'gate two a, b { h a; cx a, b; }\nqreg q[2];\ncreg m[1];\ncreg c[2];\nif (c == 3) two q[0], q[1];\nif(c==2) measure q -> c;\nif (m==1) reset q[1];\nx q[0];\n')
    const conds = c.ops.map((o) => (o.kind === 'barrier' ? undefined : o.cond))
    expect(c.ops.map((o) => o.kind)).toEqual(['gate', 'gate', 'measure', 'measure', 'reset', 'gate'])
    expect(conds[0]).toEqual({ id: 1, creg: 'c', offset: 1, size: 2, value: 3 })
    expect(conds[1]).toBe(conds[0])
    expect(conds[2]).toEqual({ id: 2, creg: 'c', offset: 1, size: 2, value: 2 })
    expect(conds[3]).toBe(conds[2])
    expect(conds[4]).toEqual({ id: 3, creg: 'm', offset: 0, size: 1, value: 1 })
    expect(conds[5]).toBeUndefined()
  })

  for (const [what, src, line, column, msg] of rejected) {
    it(`rejects ${what} with its line and column`, () => {
      const err = errorOf(src)
      expect([err.line, err.column]).toEqual([line, column])
      expect(err.message).toMatch(msg)
      expect(err.message.startsWith(`line ${line}, column ${column}: `)).toBe(true)
    })
  }
})

describe('hostile programs (found by fuzzing)', () => {
  const program = (body: string) => `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\n${body}\n`
  const qasmError = (src: string): QasmError => {
    let thrown: unknown
    try {
      parseQasm(src)
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(QasmError) // not a RangeError from a blown stack
    return thrown as QasmError
  }

  it('refuses deeply nested parameter expressions instead of overflowing the stack', () => {
    for (const [open, close] of [['(', ')'], ['-', ''], ['sin(', ')'], ['+', '']]) {
      expect(qasmError(program(`rz(${open.repeat(50_000)}1${close.repeat(50_000)}) q[0];`)).message).toMatch(/^line 4, column \d+: expression too large \(more than 1000 operators and parentheses\)$/)
    }
    // Left-deep chains too: evaluate() recurses over the tree.
    expect(qasmError(program(`rz(${Array(50_000).fill('1').join('+')}) q[0];`)).message).toMatch(/expression too large/)
    expect(parseQasm(program(`rz(${'('.repeat(300)}pi/2${')'.repeat(300)}) q[0];`)).ops).toHaveLength(1)
  })

  it('refuses a gate that expands to more than a million operations before expanding it', () => {
    const defs = ['gate g0 a { U(0,0,0) a; }']
    for (let i = 1; i < 40; i++) defs.push(`gate g${i} a { g${i - 1} a; g${i - 1} a; }`)
    // 2^39 operations: refused from the definitions' sizes, never built (building them would exhaust memory).
    expect(qasmError(program(`${defs.join('\n')}\ng39 q[0];`)).message).toBe('line 44, column 1: circuit expands to more than 1000000 operations')
  })

  it('refuses gate definitions nested more than 1000 deep', () => {
    const defs = ['gate g0 a { U(0,0,0) a; }']
    for (let i = 1; i <= 1000; i++) defs.push(`gate g${i} a { g${i - 1} a; }`)
    expect(qasmError(program(defs.join('\n'))).message).toBe('line 1004, column 6: gate definitions nest more than 1000 deep')
  })
})
