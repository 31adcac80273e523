// Errors of the statevector kernel: bad QASM (with line and column) and bad options or limits.

/** Stable codes of QasmError. Never rename one. */
export type QasmErrorCode =
  /** Malformed or unsupported program (syntax, unknown gate or register, opaque, other includes...). */
  | 'QASM_ERROR'
  /** The program does not start with `OPENQASM 2.0;`. */
  | 'QASM_MISSING_HEADER'

/** A QASM program that is malformed or uses something this front end does not support. */
export class QasmError extends Error {
  readonly code: QasmErrorCode
  /** 1-based line of the offending token. */
  readonly line: number
  /** 1-based column of the offending token. */
  readonly column: number
  constructor(message: string, line: number, column: number, code: QasmErrorCode = 'QASM_ERROR') {
    super(`line ${line}, column ${column}: ${message}`)
    this.name = 'QasmError'
    this.code = code
    this.line = line
    this.column = column
  }
}

/** Options or circuits the simulator cannot run (too many qubits, bad Pauli string, bad shots...). */
export class SimulationError extends Error {
  readonly code = 'SIMULATION_ERROR'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SimulationError'
  }
}
