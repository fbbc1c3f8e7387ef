// Campaign and ad names come from outside; a spreadsheet would run one that starts with = + - @ (or tab or
// carriage return, which some importers strip first) as a formula. OWASP's fix: prefix such text with a
// single quote. Only text cells get it, so a negative number stays a number.
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
