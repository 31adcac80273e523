// HTTP headers as an ordered list of (lower-case name, value) pairs.

export class Headers {
  names: string[] = [];
  values: string[] = [];

  /** The first value of `name` (case-insensitive), or null. */
  get(name: string): string | null {
    const key = lower(name);
    for (let i = 0; i < this.names.length; i++) if (this.names[i] == key) return this.values[i];
    return null;
  }

  has(name: string): bool { return this.get(name) != null; }

  /** Replaces every value of `name` with `value`. */
  set(name: string, value: string): void {
    this.delete(name);
    this.append(name, value);
  }

  append(name: string, value: string): void {
    this.names.push(lower(name));
    this.values.push(value);
  }

  delete(name: string): void {
    const key = lower(name);
    for (let i = this.names.length - 1; i >= 0; i--) {
      if (this.names[i] == key) {
        this.names.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
  }

  get size(): i32 { return this.names.length; }
}

/** `s` lower-cased; the same string (no allocation) when it has no upper-case ASCII letter. */
function lower(s: string): string {
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return s.toLowerCase();
  }
  return s;
}
