// Deterministic randomness for sandboxes: every value is a pure function of (seed, labels), so a sandbox
// can serve any page again, and recompute its truth, without storing what it served.
// mulberry32 (public domain, Tommy Ettinger): 32-bit state, good enough spread for fake metrics.

/** FNV-1a over the joined labels: a stable 32-bit seed for one entity and day. */
export function hashSeed(...labels: (string | number)[]): number {
  // the same bytes as hashing labels.join('\u0000'), without building that string
  let h = 0x811c9dc5;
  for (let l = 0; l < labels.length; l++) {
    if (l > 0) h = Math.imul(h, 0x01000193); // the separator, char code 0
    const s = String(labels[l]);
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

export class SeededRandom {
  private state: number;
  constructor(...labels: (string | number)[]) {
    this.state = hashSeed(...labels);
  }
  /** [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** multiplicative noise around 1, e.g. spread 0.2 → [0.8, 1.2) */
  jitter(spread: number): number {
    return 1 - spread + this.next() * 2 * spread;
  }
}
