// Exact decimals for sandbox truths: integers of a minor unit (cents, micros, hundredths) formatted with
// their scale. Sums are done on bigint, so a truth total is never a float sum.

export function formatScaled(value: bigint | number, scale: number): string {
  const v = BigInt(value);
  const negative = v < 0n;
  const digits = (negative ? -v : v).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = scale > 0 ? digits.slice(digits.length - scale).replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}
