// A small JSON value type with a parser and a serializer (AssemblyScript has no JSON built in).

export enum JSONKind { Null, Bool, Number, String, Array, Object }

/** A parsed or built JSON value. Objects keep their key order. */
export class JSONValue {
  kind: JSONKind = JSONKind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  items: JSONValue[] = [];
  keys: string[] = [];

  static null(): JSONValue { return new JSONValue(); }
  static fromBool(b: bool): JSONValue { const v = new JSONValue(); v.kind = JSONKind.Bool; v.bool = b; return v; }
  static fromNumber(n: f64): JSONValue { const v = new JSONValue(); v.kind = JSONKind.Number; v.num = n; return v; }
  static fromString(s: string): JSONValue { const v = new JSONValue(); v.kind = JSONKind.String; v.str = s; return v; }
  static array(): JSONValue { const v = new JSONValue(); v.kind = JSONKind.Array; return v; }
  static object(): JSONValue { const v = new JSONValue(); v.kind = JSONKind.Object; return v; }

  get isNull(): bool { return this.kind == JSONKind.Null; }
  get length(): i32 { return this.items.length; }

  /** Member `key` of an object, or null. */
  get(key: string): JSONValue | null {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.items[i];
    return null;
  }

  /** Element `i` of an array, or null. */
  at(i: i32): JSONValue | null { return i >= 0 && i < this.items.length ? this.items[i] : null; }

  /** Sets member `key` of an object (replacing any earlier value); returns this for chaining. */
  set(key: string, value: JSONValue): JSONValue {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) { this.items[i] = value; return this; }
    }
    this.keys.push(key);
    this.items.push(value);
    return this;
  }

  /** Appends to an array; returns this for chaining. */
  push(value: JSONValue): JSONValue { this.items.push(value); return this; }

  toString(): string {
    const out: string[] = [];
    writeValue(this, out);
    return out.join("");
  }
}

/** Parses JSON text, or returns null when it is not valid JSON. */
export function parseJSON(text: string): JSONValue | null {
  const p = new Parser(text);
  p.ws();
  const v = p.value();
  if (v == null) return null;
  p.ws();
  return p.pos == text.length ? v : null;
}

class Parser {
  pos: i32 = 0;
  constructor(public s: string) {}

  ws(): void {
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.pos++;
    }
  }

  lit(word: string): bool {
    if (this.s.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  value(): JSONValue | null {
    if (this.pos >= this.s.length) return null;
    const c = this.s.charCodeAt(this.pos);
    if (c == 0x7b) return this.object();
    if (c == 0x5b) return this.array();
    if (c == 0x22) {
      const s = this.string();
      return s == null ? null : JSONValue.fromString(s);
    }
    if (this.lit("true")) return JSONValue.fromBool(true);
    if (this.lit("false")) return JSONValue.fromBool(false);
    if (this.lit("null")) return JSONValue.null();
    return this.number();
  }

  number(): JSONValue | null {
    const start = this.pos;
    if (this.s.charCodeAt(this.pos) == 0x2d) this.pos++;
    const digits = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if ((c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x65 || c == 0x45 || c == 0x2b || c == 0x2d) this.pos++;
      else break;
    }
    if (this.pos == digits) return null;
    const n = parseFloat(this.s.substring(start, this.pos));
    return isNaN(n) ? null : JSONValue.fromNumber(n);
  }

  string(): string | null {
    this.pos++; // opening quote
    const parts: string[] = [];
    let run = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c == 0x22) {
        parts.push(this.s.substring(run, this.pos));
        this.pos++;
        return parts.join("");
      }
      if (c < 0x20) return null;
      if (c == 0x5c) {
        parts.push(this.s.substring(run, this.pos));
        this.pos++;
        if (this.pos >= this.s.length) return null;
        const e = this.s.charCodeAt(this.pos++);
        if (e == 0x6e) parts.push("\n");
        else if (e == 0x74) parts.push("\t");
        else if (e == 0x72) parts.push("\r");
        else if (e == 0x62) parts.push("\b");
        else if (e == 0x66) parts.push("\f");
        else if (e == 0x22 || e == 0x5c || e == 0x2f) parts.push(String.fromCharCode(e));
        else if (e == 0x75) {
          if (this.pos + 4 > this.s.length) return null;
          const code = parseInt(this.s.substr(this.pos, 4), 16);
          if (isNaN(code)) return null;
          parts.push(String.fromCharCode(<i32>code));
          this.pos += 4;
        } else return null;
        run = this.pos;
      } else this.pos++;
    }
    return null;
  }

  array(): JSONValue | null {
    this.pos++;
    const v = JSONValue.array();
    this.ws();
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x5d) { this.pos++; return v; }
    for (;;) {
      this.ws();
      const item = this.value();
      if (item == null) return null;
      v.items.push(item);
      this.ws();
      if (this.pos >= this.s.length) return null;
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x5d) return v;
      if (c != 0x2c) return null;
    }
    return null;
  }

  object(): JSONValue | null {
    this.pos++;
    const v = JSONValue.object();
    this.ws();
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x7d) { this.pos++; return v; }
    for (;;) {
      this.ws();
      if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 0x22) return null;
      const key = this.string();
      if (key == null) return null;
      this.ws();
      if (this.pos >= this.s.length || this.s.charCodeAt(this.pos++) != 0x3a) return null;
      this.ws();
      const item = this.value();
      if (item == null) return null;
      v.set(key, item);
      this.ws();
      if (this.pos >= this.s.length) return null;
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x7d) return v;
      if (c != 0x2c) return null;
    }
    return null;
  }
}

/** JSON string literal for `s`, quotes included. */
export function quoteJSON(s: string): string {
  const out: string[] = ["\""];
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    out.push(s.substring(run, i));
    if (c == 0x22) out.push("\\\"");
    else if (c == 0x5c) out.push("\\\\");
    else if (c == 0x0a) out.push("\\n");
    else if (c == 0x0d) out.push("\\r");
    else if (c == 0x09) out.push("\\t");
    else {
      const hex = c.toString(16);
      out.push("\\u" + "0000".substring(hex.length) + hex);
    }
    run = i + 1;
  }
  out.push(s.substring(run));
  out.push("\"");
  return out.join("");
}

function formatNumber(n: f64): string {
  if (!isFinite(n)) return "null";
  if (n == Math.floor(n) && Math.abs(n) < 9007199254740992.0) return (<i64>n).toString();
  return n.toString();
}

function writeValue(v: JSONValue, out: string[]): void {
  switch (v.kind) {
    case JSONKind.Null: out.push("null"); break;
    case JSONKind.Bool: out.push(v.bool ? "true" : "false"); break;
    case JSONKind.Number: out.push(formatNumber(v.num)); break;
    case JSONKind.String: out.push(quoteJSON(v.str)); break;
    case JSONKind.Array: {
      out.push("[");
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) out.push(",");
        writeValue(v.items[i], out);
      }
      out.push("]");
      break;
    }
    default: {
      out.push("{");
      for (let i = 0; i < v.keys.length; i++) {
        if (i > 0) out.push(",");
        out.push(quoteJSON(v.keys[i]));
        out.push(":");
        writeValue(v.items[i], out);
      }
      out.push("}");
    }
  }
}
