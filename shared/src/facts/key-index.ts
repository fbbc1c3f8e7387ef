// An open-addressing hash map from (scope, 64-bit row key) to a 64-bit content hash, in typed arrays.
// The loader keeps one entry per existing or loaded row; a Map with string keys for a million rows took
// several times the memory (and the loader's budget is 256 MB for the whole process).
export const SlotState = {
  Empty: 0,
  /** was in the database before this load */
  Existing: 1,
  /** inserted by this load */
  Inserted: 2,
} as const;
export type SlotState = (typeof SlotState)[keyof typeof SlotState];

export class KeyIndex {
  private capacity: number;
  private mask: number;
  private size = 0;
  private state: Uint8Array;
  private scope: Int32Array;
  private khi: Uint32Array;
  private klo: Uint32Array;
  private vhi: Uint32Array;
  private vlo: Uint32Array;
  /** slot of the last lookup, for set-after-get without a second probe */
  private lastSlot = -1;

  constructor(initialCapacity = 1 << 16) {
    let cap = 16;
    while (cap < initialCapacity) cap <<= 1;
    this.capacity = cap;
    this.mask = cap - 1;
    this.state = new Uint8Array(cap);
    this.scope = new Int32Array(cap);
    this.khi = new Uint32Array(cap);
    this.klo = new Uint32Array(cap);
    this.vhi = new Uint32Array(cap);
    this.vlo = new Uint32Array(cap);
  }

  get count(): number {
    return this.size;
  }

  /** Bytes held by the table, for memory accounting in tests and the benchmark. */
  get byteSize(): number {
    return this.capacity * 21;
  }

  private slotOf(scope: number, hi: number, lo: number): number {
    // the key is already a good hash; mix the scope in and probe linearly
    let i = (lo ^ Math.imul(scope, 0x9e3779b1) ^ (hi >>> 7)) & this.mask;
    const state = this.state;
    while (state[i] !== SlotState.Empty) {
      if (this.klo[i] === lo && this.khi[i] === hi && this.scope[i] === scope) return i;
      i = (i + 1) & this.mask;
    }
    return i;
  }

  /** Looks a key up; returns its state (Empty if absent). Content is readable via lastHi/lastLo. */
  lookup(scope: number, hi: number, lo: number): SlotState {
    const slot = this.slotOf(scope, hi, lo);
    this.lastSlot = slot;
    return this.state[slot] as SlotState;
  }

  /** content hash halves of the slot found by the last lookup */
  get lastHi(): number {
    return this.vhi[this.lastSlot]!;
  }
  get lastLo(): number {
    return this.vlo[this.lastSlot]!;
  }

  /** Sets the content of the slot found by the last lookup (which must be for the same key). */
  setLast(scope: number, hi: number, lo: number, vhi: number, vlo: number, state: SlotState): void {
    const slot = this.lastSlot;
    if (this.state[slot] === SlotState.Empty) {
      this.size++;
      this.scope[slot] = scope;
      this.khi[slot] = hi;
      this.klo[slot] = lo;
    }
    this.state[slot] = state;
    this.vhi[slot] = vhi;
    this.vlo[slot] = vlo;
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
    const { state, scope, khi, klo, vhi, vlo, capacity } = this;
    this.capacity = newCapacity;
    this.mask = this.capacity - 1;
    this.state = new Uint8Array(this.capacity);
    this.scope = new Int32Array(this.capacity);
    this.khi = new Uint32Array(this.capacity);
    this.klo = new Uint32Array(this.capacity);
    this.vhi = new Uint32Array(this.capacity);
    this.vlo = new Uint32Array(this.capacity);
    for (let i = 0; i < capacity; i++) {
      if (state[i] === SlotState.Empty) continue;
      const slot = this.slotOf(scope[i]!, khi[i]!, klo[i]!);
      this.state[slot] = state[i]!;
      this.scope[slot] = scope[i]!;
      this.khi[slot] = khi[i]!;
      this.klo[slot] = klo[i]!;
      this.vhi[slot] = vhi[i]!;
      this.vlo[slot] = vlo[i]!;
    }
    this.lastSlot = -1;
  }
}
