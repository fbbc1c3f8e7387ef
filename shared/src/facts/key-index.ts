// An open-addressing hash map from (scope, 64-bit row key) to a 64-bit content hash, in one typed array.
// The loader keeps one entry per existing or loaded row; a Map with string keys for a million rows took
// several times the memory (and the loader's budget is 256 MB for the whole process).
// A slot's five words sit side by side (scope and state, key hi, key lo, content hi, content lo): a lookup
// of a million-row index touches one or two cache lines, where one array per field touched six.
export const SlotState = {
  Empty: 0,
  /** was in the database before this load */
  Existing: 1,
  /** inserted by this load */
  Inserted: 2,
} as const;
export type SlotState = (typeof SlotState)[keyof typeof SlotState];

/** words a slot */
const W = 5;

export class KeyIndex {
  private capacity: number;
  private mask: number;
  private size = 0;
  /** per slot: scope << 2 | state (0: empty), key hi, key lo, content hi, content lo */
  private slots: Uint32Array;
  /** word offset of the slot of the last lookup, for set-after-get without a second probe */
  private last = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 16;
    while (cap < initialCapacity) cap <<= 1;
    this.capacity = cap;
    this.mask = cap - 1;
    this.slots = new Uint32Array(cap * W);
  }

  get count(): number {
    return this.size;
  }

  /** Bytes held by the table, for memory accounting in tests and the benchmark. */
  get byteSize(): number {
    return this.slots.byteLength;
  }

  /** word offset of the key's slot, or of the empty slot where it would go */
  private slotOf(scope: number, hi: number, lo: number): number {
    // the key is already a good hash; mix the scope in and probe linearly
    let i = (lo ^ Math.imul(scope, 0x9e3779b1) ^ (hi >>> 7)) & this.mask;
    const s = this.slots;
    for (;;) {
      const o = i * W;
      const head = s[o]!;
      if (head === 0 || (s[o + 2] === lo && s[o + 1] === hi && head >>> 2 === scope)) return o;
      i = (i + 1) & this.mask;
    }
  }

  /** Looks a key up; returns its state (Empty if absent). Content is readable via lastHi/lastLo. */
  lookup(scope: number, hi: number, lo: number): SlotState {
    const o = this.slotOf(scope, hi, lo);
    this.last = o;
    return (this.slots[o]! & 3) as SlotState;
  }

  /** content hash halves of the slot found by the last lookup */
  get lastHi(): number {
    return this.slots[this.last + 3]!;
  }
  get lastLo(): number {
    return this.slots[this.last + 4]!;
  }

  /** Sets the content of the slot found by the last lookup (which must be for the same key). */
  setLast(scope: number, hi: number, lo: number, vhi: number, vlo: number, state: SlotState): void {
    const s = this.slots;
    const o = this.last;
    if (s[o] === 0) {
      this.size++;
      s[o + 1] = hi;
      s[o + 2] = lo;
    }
    s[o] = ((scope << 2) | state) >>> 0;
    s[o + 3] = vhi;
    s[o + 4] = vlo;
    if (this.size * 2 > this.capacity) this.grow();
  }

  set(scope: number, hi: number, lo: number, vhi: number, vlo: number, state: SlotState): void {
    this.lookup(scope, hi, lo);
    this.setLast(scope, hi, lo, vhi, vlo, state);
  }

  /** Makes room for `additional` more keys at once (one rehash instead of one per doubling). */
  reserve(additional: number): void {
    let target = this.capacity;
    while ((this.size + additional) * 2 > target) target *= 2;
    if (target > this.capacity) this.grow(target);
  }

  private grow(newCapacity = this.capacity * 2): void {
    const old = this.slots;
    this.capacity = newCapacity;
    this.mask = newCapacity - 1;
    this.slots = new Uint32Array(newCapacity * W);
    for (let o = 0; o < old.length; o += W) {
      const head = old[o]!;
      if (head === 0) continue;
      const to = this.slotOf(head >>> 2, old[o + 1]!, old[o + 2]!);
      const s = this.slots;
      s[to] = head;
      s[to + 1] = old[o + 1]!;
      s[to + 2] = old[o + 2]!;
      s[to + 3] = old[o + 3]!;
      s[to + 4] = old[o + 4]!;
    }
    this.last = 0;
  }
}
