// Seeded, deterministic random numbers for sampling and mid-circuit measurement: xoshiro128** (Blackman
// and Vigna, 2018) with its state filled by splitmix32 from the 32-bit seed; doubles take 53 bits.

/** xoshiro128** seeded through splitmix32. The same seed gives the same sequence on every platform. */
export class Xoshiro128 {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  constructor(seed: number) {
    let z = seed >>> 0
    const split = () => {
      z = (z + 0x9e3779b9) >>> 0
      let x = z
      x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
      return (x ^ (x >>> 16)) >>> 0
    }
    this.s0 = split(); this.s1 = split(); this.s2 = split(); this.s3 = split()
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const t = s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    return r
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5, lo = this.nextUint32() >>> 6
    return (hi * 67108864 + lo) / 9007199254740992
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
