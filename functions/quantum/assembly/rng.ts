// xoshiro128** seeded by splitmix32, bit for bit the generator of kernels/statevector/rng.ts, so the same
// seed draws the same uniforms (and so the same counts) as simulateQasm.

let s0: u32 = 0, s1: u32 = 0, s2: u32 = 0, s3: u32 = 0, z: u32 = 0;

function split(): u32 {
  z += 0x9e3779b9;
  let x = z;
  x = (x ^ (x >>> 16)) * 0x85ebca6b;
  x = (x ^ (x >>> 13)) * 0xc2b2ae35;
  return x ^ (x >>> 16);
}

/** Restarts the generator from a 32-bit seed. */
export function seedRng(seed: u32): void {
  z = seed;
  s0 = split(); s1 = split(); s2 = split(); s3 = split();
}

/** Next 32 random bits. */
export function nextU32(): u32 {
  const r = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  return r;
}

/** A uniform double in [0, 1) with 53 random bits. */
export function nextDouble(): f64 {
  const hi = nextU32() >>> 5, lo = nextU32() >>> 6;
  return (<f64>hi * 67108864.0 + <f64>lo) / 9007199254740992.0;
}
