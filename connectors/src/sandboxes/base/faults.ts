// The switchboard of faults a sandbox can be told to produce, by its control endpoint or its start
// options. The base only stores and consumes them; each platform's sandbox decides what a fault looks
// like on its wire (its rate-limit body and headers, its error codes) and validates them with its schema.

export interface ArmedFault {
  kind: string;
  /** how many requests it hits before disarming itself; absent: until cleared */
  times?: number;
}

export class FaultBoard<F extends ArmedFault = ArmedFault> {
  private armed: F[] = [];

  constructor(initial: readonly F[] = []) {
    for (const f of initial) this.arm(f);
  }

  arm(fault: F): void {
    this.armed.push({ ...fault });
  }

  clear(): void {
    this.armed = [];
  }

  list(): readonly F[] {
    return this.armed;
  }

  /** The first armed fault of `kind` matching `where`, without using it up (e.g. a renamed metric). */
  peek<K extends F['kind']>(
    kind: K,
    where: (f: Extract<F, { kind: K }>) => boolean = () => true,
  ): Extract<F, { kind: K }> | undefined {
    return this.armed.find((f) => f.kind === kind && where(f as Extract<F, { kind: K }>)) as
      Extract<F, { kind: K }> | undefined;
  }

  /** Like peek, but counts one use: a fault with `times` disarms when they are spent. */
  take<K extends F['kind']>(
    kind: K,
    where: (f: Extract<F, { kind: K }>) => boolean = () => true,
  ): Extract<F, { kind: K }> | undefined {
    const fault = this.peek(kind, where);
    if (!fault) return undefined;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.armed = this.armed.filter((f) => f !== fault);
    }
    return fault;
  }
}
