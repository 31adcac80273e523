// Tokenizer of the OpenQASM 2.0 front end (tokenize() of kernels/statevector/qasm.ts, on UTF-8 bytes): columns
// count UTF-16 code units like the TypeScript one; a bad character becomes a token the parser reports in order.

export const T_ID: i32 = 0;
export const T_NUM: i32 = 1;
export const T_STR: i32 = 2;
export const T_SYM: i32 = 3;
export const T_BAD: i32 = 4;
export const T_EOF: i32 = 5;

/** A token: kind, text, 1-based line and column. */
export class Tok {
  constructor(public k: i32, public v: string, public line: i32, public col: i32) {}
}

@inline function isAlpha(c: i32): bool { return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95; }
/** ASCII 0-9. */
@inline export function isDigit(c: i32): bool { return c >= 48 && c <= 57; }
@inline function isWord(c: i32): bool { return isAlpha(c) || isDigit(c); }

/** Splits source bytes into tokens, or stops at the first unterminated comment or string. */
export class Lexer {
  toks: Tok[] = [];
  error: string | null = null;
  errLine: i32 = 0;
  errCol: i32 = 0;
  private line: i32 = 1;
  private lineStart: i32 = 0;
  private cachePos: i32 = 0;
  private cacheCol: i32 = 1;

  constructor(private src: usize, private len: i32) {}

  @inline private at(i: i32): i32 { return i < this.len ? <i32>load<u8>(this.src + <usize>i) : -1; }

  /** 1-based column of byte i in UTF-16 code units, as the TypeScript front end counts it. */
  private colAt(i: i32): i32 {
    if (this.cachePos < this.lineStart) { this.cachePos = this.lineStart; this.cacheCol = 1; }
    for (let j = this.cachePos; j < i; j++) {
      const b = this.at(j);
      if ((b & 0xc0) != 0x80) this.cacheCol += b >= 0xf0 ? 2 : 1;
    }
    this.cachePos = i;
    return this.cacheCol;
  }

  private text(a: i32, b: i32): string { return String.UTF8.decodeUnsafe(this.src + <usize>a, <usize>(b - a)); }

  private push(k: i32, v: string, i: i32): void { this.toks.push(new Tok(k, v, this.line, this.colAt(i))); }

  private fail(msg: string, i: i32): void { this.error = msg; this.errLine = this.line; this.errCol = this.colAt(i); }

  /** Length of a number at i (digits[.digits][e[+-]digits] or .digits[e...]), 0 when there is none. */
  private numberLength(i: i32): i32 {
    let j = i;
    if (isDigit(this.at(j))) {
      while (isDigit(this.at(j))) j++;
      if (this.at(j) == 46) { j++; while (isDigit(this.at(j))) j++; }
    } else if (this.at(j) == 46 && isDigit(this.at(j + 1))) {
      j++;
      while (isDigit(this.at(j))) j++;
    } else return 0;
    const e = this.at(j);
    if (e == 101 || e == 69) {
      let k = j + 1;
      if (this.at(k) == 43 || this.at(k) == 45) k++;
      if (isDigit(this.at(k))) { while (isDigit(this.at(k))) k++; j = k; }
    }
    return j - i;
  }

  run(): void {
    let i = 0;
    const n = this.len;
    while (i < n) {
      const ch = this.at(i);
      if (ch == 10) { this.line++; i++; this.lineStart = i; continue; }
      if (ch == 32 || ch == 9 || ch == 13) { i++; continue; }
      if (ch == 47 && this.at(i + 1) == 47) { while (i < n && this.at(i) != 10) i++; continue; }
      if (ch == 47 && this.at(i + 1) == 42) {
        let end = -1;
        for (let j = i + 2; j + 1 < n; j++) if (this.at(j) == 42 && this.at(j + 1) == 47) { end = j; break; }
        if (end < 0) { this.fail("unterminated comment", i); return; }
        for (let j = i; j < end; j++) if (this.at(j) == 10) { this.line++; this.lineStart = j + 1; }
        i = end + 2;
        continue;
      }
      if (isAlpha(ch)) {
        let j = i + 1;
        while (j < n && isWord(this.at(j))) j++;
        this.push(T_ID, this.text(i, j), i);
        i = j;
        continue;
      }
      const nl = this.numberLength(i);
      if (nl > 0) { this.push(T_NUM, this.text(i, i + nl), i); i += nl; continue; }
      if (ch == 34) {
        let end = -1;
        for (let j = i + 1; j < n; j++) if (this.at(j) == 34) { end = j; break; }
        let newline = false;
        if (end >= 0) for (let j = i; j < end; j++) if (this.at(j) == 10) { newline = true; break; }
        if (end < 0 || newline) { this.fail("unterminated string", i); return; }
        this.push(T_STR, this.text(i + 1, end), i);
        i = end + 1;
        continue;
      }
      const c2 = this.at(i + 1);
      if ((ch == 45 && c2 == 62) || (ch == 61 && c2 == 61)) { this.push(T_SYM, this.text(i, i + 2), i); i += 2; continue; }
      if (ch == 59 || ch == 44 || ch == 40 || ch == 41 || ch == 91 || ch == 93 || ch == 123 || ch == 125 || ch == 43 || ch == 45 || ch == 42 || ch == 47 || ch == 94) {
        this.push(T_SYM, String.fromCharCode(ch), i);
        i++;
        continue;
      }
      // Reported when the parser reaches it, so an earlier error wins. A UTF-8 sequence is one character.
      let j = i + 1;
      if (ch >= 0xc0) while (j < n && (this.at(j) & 0xc0) == 0x80) j++;
      this.push(T_BAD, this.text(i, j), i);
      i = j;
    }
    this.toks.push(new Tok(T_EOF, "", this.line, this.colAt(n)));
  }
}

