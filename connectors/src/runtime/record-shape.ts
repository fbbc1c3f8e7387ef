// Records whose keys are known only at run time (a page's extra dimensions and metrics, named by the
// platform) but are the same for every row of a page.
//
// Why: built by keyed stores into `{}` (`extras[name] = value`), every row adds its properties by name at
// run time, and V8 resolves each add through the transition tree of the empty object's hidden class,
// which every `{}` in the process shares. In a process that has loaded the platform SDKs, that path was
// measured 10 to 30 times slower than in a fresh one, and it stayed slow for the process's life (the
// normalize bench's GA4 and Instagram rounds: 0.35 ms or 10 ms for the same 2,160 rows). An object literal
// compiled once for the page's key set builds every row's record with one hidden class, whatever the
// process loaded before.
//
// Keys enter the generated code only as JSON string literals, so no key can inject code; a `__proto__` key
// (which an object literal would take as the prototype) gets a plain defining builder instead.

export type RecordBuilder = (values: readonly unknown[]) => Record<string, unknown>;

const MAX_SHAPES = 512;
const shapes = new Map<string, RecordBuilder>();

/**
 * A builder of records with these keys, in this order: values[i] becomes keys[i]. A value left undefined
 * is a key without a value, which JSON and the row hash treat as absent. A repeated key keeps its last value.
 */
export function recordShape(keys: readonly string[]): RecordBuilder {
  const id = JSON.stringify(keys); // unambiguous: [] and [''] differ
  let build = shapes.get(id);
  if (build) return build;
  if (shapes.size >= MAX_SHAPES) shapes.clear(); // a bound, not a policy: a process sees a few page layouts
  if (keys.includes('__proto__')) {
    build = (values) => {
      const record: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++)
        Object.defineProperty(record, keys[i]!, {
          value: values[i],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return record;
    };
  } else {
    build = new Function(
      'v',
      `return {${keys.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ')}};`,
    ) as RecordBuilder;
  }
  shapes.set(id, build);
  return build;
}

/**
 * The builder for one row's keys when consecutive rows mostly share them (a page's rows carry the same
 * fields, less the ones a row has no value for): the keys are compared with the last row's, which costs
 * less than looking the shape up.
 */
export class RecordShapes {
  private lastKeys: readonly string[] = [];
  private lastBuild: RecordBuilder | null = null;

  builderFor(keys: readonly string[]): RecordBuilder {
    const last = this.lastKeys;
    if (this.lastBuild && keys.length === last.length) {
      let same = true;
      for (let i = 0; i < keys.length && same; i++) same = keys[i] === last[i];
      if (same) return this.lastBuild;
    }
    this.lastKeys = keys;
    return (this.lastBuild = recordShape(keys));
  }
}
