// The record builder compiled per key set: the same records keyed stores would build, for any key a
// platform can send, including ones that look like code or like the prototype.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordShape, RecordShapes } from './record-shape';

describe('recordShape', () => {
  it('when given any keys and values, it builds the record keyed stores would, own properties in key order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.constant(null))), { maxLength: 8 }),
        (entries) => {
          const keys = entries.map(([k]) => k);
          const built = recordShape(keys)(entries.map(([, v]) => v));
          const expected: Record<string, unknown> = {};
          for (const [k, v] of entries)
            Object.defineProperty(expected, k, { value: v, enumerable: true, writable: true, configurable: true });
          expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
          expect(Object.entries(built)).toEqual(Object.entries(expected));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('when a key is written like code or names the prototype, it is only ever a key', () => {
    const keys = ['"}; throw new Error("injected"); ({"', '\\', '\n', '\u2028', '__proto__', 'constructor', 'toString'];
    const built = recordShape(keys)(keys.map((_, i) => i));
    expect(Object.keys(built)).toEqual(keys);
    expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(built))).toMatchObject({ constructor: 5, toString: 6 });
    const withoutProto = keys.filter((k) => k !== '__proto__');
    expect(Object.keys(recordShape(withoutProto)(withoutProto.map((_, i) => i)))).toEqual(withoutProto);
  });

  it('when the same keys come again, the same builder is returned; a value left undefined is dropped by JSON', () => {
    expect(recordShape(['a', 'b'])).toBe(recordShape(['a', 'b']));
    expect(JSON.stringify(recordShape(['a', 'b'])([1, undefined]))).toBe('{"a":1}');
  });

  it('when consecutive rows share their keys, RecordShapes reuses the builder; when they differ, each row still gets its own keys', () => {
    const shapes = new RecordShapes();
    const first = shapes.builderFor(['a', 'b']);
    expect(shapes.builderFor(['a', 'b'])).toBe(first);
    expect(shapes.builderFor(['a'])([1])).toEqual({ a: 1 });
    expect(shapes.builderFor(['b', 'a'])([1, 2])).toEqual({ b: 1, a: 2 });
    expect(Object.keys(shapes.builderFor(['b', 'a'])([1, 2]))).toEqual(['b', 'a']);
    expect(shapes.builderFor(['a', 'b'])([3, 4])).toEqual({ a: 3, b: 4 });
  });
});
