// The built-in gates (U, CX and qelib1.inc): their arity and the 2x2 matrices of the single-qubit ones,
// with the same conventions as kernels/statevector/gates.ts (rz is diag(e^-it/2, e^it/2), p/u1 diag(1, e^it)).

export const G_U: i32 = 0;
export const G_CX: i32 = 1;
export const G_X: i32 = 2;
export const G_Y: i32 = 3;
export const G_Z: i32 = 4;
export const G_H: i32 = 5;
export const G_S: i32 = 6;
export const G_SDG: i32 = 7;
export const G_T: i32 = 8;
export const G_TDG: i32 = 9;
export const G_SX: i32 = 10;
export const G_SXDG: i32 = 11;
export const G_ID: i32 = 12;
export const G_RX: i32 = 13;
export const G_RY: i32 = 14;
export const G_RZ: i32 = 15;
export const G_P: i32 = 16;
export const G_U1: i32 = 17;
export const G_U2: i32 = 18;
export const G_U3: i32 = 19;
export const G_LU: i32 = 20; // qelib's lower-case u
export const G_CY: i32 = 21;
export const G_CZ: i32 = 22;
export const G_CH: i32 = 23;
export const G_SWAP: i32 = 24;
export const G_CP: i32 = 25;
export const G_CU1: i32 = 26;
export const G_CRX: i32 = 27;
export const G_CRY: i32 = 28;
export const G_CRZ: i32 = 29;
export const G_CU3: i32 = 30;
export const G_RXX: i32 = 31;
export const G_RZZ: i32 = 32;
export const G_CCX: i32 = 33;
export const G_CSWAP: i32 = 34;

/** Names in code order. */
export const GATE_NAMES: string[] = [
  "U", "CX", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "id", "rx", "ry", "rz", "p", "u1", "u2", "u3", "u",
  "cy", "cz", "ch", "swap", "cp", "cu1", "crx", "cry", "crz", "cu3", "rxx", "rzz", "ccx", "cswap",
];
/** Qubits each gate acts on, in code order. */
export const GATE_QUBITS: i32[] = [1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3];
/** Parameters each gate takes, in code order. */
export const GATE_PARAMS: i32[] = [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1, 1, 3, 1, 1, 0, 0];

/** Code of a built-in gate name, or -1. */
export function gateCode(name: string): i32 {
  if (name == "cx") return G_CX; // qelib's cx is CX
  for (let i = 0; i < GATE_NAMES.length; i++) if (GATE_NAMES[i] == name) return i;
  return -1;
}

/** True for gates that act on one qubit without controls (they are fused into a pending 2x2 per qubit). */
export function isSingleQubit(code: i32): bool {
  return code == G_U || (code >= G_X && code <= G_LU);
}

const R: f64 = Math.SQRT1_2;

function set(m: Float64Array, a: f64, b: f64, c: f64, d: f64, e: f64, f: f64, g: f64, h: f64): void {
  m[0] = a; m[1] = b; m[2] = c; m[3] = d; m[4] = e; m[5] = f; m[6] = g; m[7] = h;
}

function u3(m: Float64Array, theta: f64, phi: f64, lambda: f64): void {
  const c = Math.cos(theta / 2), s = Math.sin(theta / 2);
  set(m, c, 0, -Math.cos(lambda) * s, -Math.sin(lambda) * s, Math.cos(phi) * s, Math.sin(phi) * s, Math.cos(phi + lambda) * c, Math.sin(phi + lambda) * c);
}

/**
 * Writes the row-major complex 2x2 [re00, im00, re01, im01, re10, im10, re11, im11] of a single-qubit gate,
 * or of the target part of a controlled one (cy -> y, ch -> h, crx -> rx, cry -> ry, cu3 -> u3).
 */
export function matrix1(code: i32, p0: f64, p1: f64, p2: f64, m: Float64Array): void {
  switch (code) {
    case G_ID: set(m, 1, 0, 0, 0, 0, 0, 1, 0); break;
    case G_X: set(m, 0, 0, 1, 0, 1, 0, 0, 0); break;
    case G_Y: case G_CY: set(m, 0, 0, 0, -1, 0, 1, 0, 0); break;
    case G_Z: set(m, 1, 0, 0, 0, 0, 0, -1, 0); break;
    case G_H: case G_CH: set(m, R, 0, R, 0, R, 0, -R, 0); break;
    case G_S: set(m, 1, 0, 0, 0, 0, 0, 0, 1); break;
    case G_SDG: set(m, 1, 0, 0, 0, 0, 0, 0, -1); break;
    case G_T: set(m, 1, 0, 0, 0, 0, 0, Math.cos(Math.PI / 4), Math.sin(Math.PI / 4)); break;
    case G_TDG: set(m, 1, 0, 0, 0, 0, 0, Math.cos(-Math.PI / 4), Math.sin(-Math.PI / 4)); break;
    case G_SX: set(m, 0.5, 0.5, 0.5, -0.5, 0.5, -0.5, 0.5, 0.5); break;
    case G_SXDG: set(m, 0.5, -0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -0.5); break;
    case G_RX: case G_CRX: { const c = Math.cos(p0 / 2), s = Math.sin(p0 / 2); set(m, c, 0, 0, -s, 0, -s, c, 0); break; }
    case G_RY: case G_CRY: { const c = Math.cos(p0 / 2), s = Math.sin(p0 / 2); set(m, c, 0, -s, 0, s, 0, c, 0); break; }
    case G_RZ: set(m, Math.cos(-p0 / 2), Math.sin(-p0 / 2), 0, 0, 0, 0, Math.cos(p0 / 2), Math.sin(p0 / 2)); break;
    case G_P: case G_U1: set(m, 1, 0, 0, 0, 0, 0, Math.cos(p0), Math.sin(p0)); break;
    case G_U2: u3(m, Math.PI / 2, p0, p1); break;
    default: u3(m, p0, p1, p2); // U, u3, u, cu3
  }
}
