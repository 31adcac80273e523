// Small builders for hand-assembled wasm modules in unit tests (runtime/wasm/*.test.ts).
import { Writer, vectorPayload } from '../artifact/wasm/binary.js'

/** The parts, one after another. */
export const concat = (parts: Uint8Array[]): Uint8Array => {
  const w = new Writer()
  for (const p of parts) w.bytes(p)
  return w.finish()
}
/** A wasm vector: its length, then the items. */
export const vec = (items: Uint8Array[]): Uint8Array => vectorPayload(items.length, concat(items))
/** Raw bytes. */
export const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes)
/** A wasm name (length-prefixed UTF-8). */
export const name = (s: string): Uint8Array => new Writer().name(s).finish()
