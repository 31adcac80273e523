// Parameter expressions of the OpenQASM 2.0 front end: a small tree (numbers, gate parameters, + - * / ^,
// unary minus, sin cos tan exp ln sqrt) evaluated with a gate's parameter values.
import { Tok } from "./lexer";

export const E_NUM: i32 = 0;
export const E_VAR: i32 = 1;
export const E_BIN: i32 = 2;
export const E_NEG: i32 = 3;
export const E_FN: i32 = 4;

/** An expression node. */
export class Expr {
  k: i32 = E_NUM;
  v: f64 = 0;
  /** Operator char code (E_BIN) or function index (E_FN). */
  op: i32 = 0;
  name: string = "";
  tok: Tok | null = null;
  a: Expr | null = null;
  b: Expr | null = null;
}

/** Functions an expression may call, by index. */
export const FUNCS: string[] = ["sin", "cos", "tan", "exp", "ln", "sqrt"];

/** A binary node; op is the operator's char code. */
export function bin(op: i32, a: Expr, b: Expr): Expr {
  const e = new Expr();
  e.k = E_BIN; e.op = op; e.a = a; e.b = b;
  return e;
}

/** Value of e where parameter names[i] is values[i] (the last of repeated names wins, like a JS Map). */
export function evaluate(e: Expr, names: string[], values: f64[]): f64 {
  switch (e.k) {
    case E_NUM: return e.v;
    case E_VAR: return values[names.lastIndexOf(e.name)];
    case E_NEG: return -evaluate(e.a!, names, values);
    case E_FN: {
      const x = evaluate(e.a!, names, values);
      switch (e.op) {
        case 0: return Math.sin(x);
        case 1: return Math.cos(x);
        case 2: return Math.tan(x);
        case 3: return Math.exp(x);
        case 4: return Math.log(x);
        default: return Math.sqrt(x);
      }
    }
    default: {
      const a = evaluate(e.a!, names, values), b = evaluate(e.b!, names, values);
      if (e.op == 43) return a + b;
      if (e.op == 45) return a - b;
      if (e.op == 42) return a * b;
      if (e.op == 47) return a / b;
      return Math.pow(a, b);
    }
  }
}

