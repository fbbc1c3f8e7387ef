// Campaign and ad names come from outside; a spreadsheet would run one that starts with = + - @ (or tab or
// carriage return, which some importers strip first) as a formula. Excel and LibreOffice also skip leading
// spaces and read the full-width ＝ ＋ － ＠ (what an IME types) as their ASCII forms. OWASP's fix: prefix
// such text with a single quote. Only text cells get it, so a negative number stays a number. XLSX does not
// need it: its text cells carry the Text number format instead (xlsx.writer.ts).
export const FORMULA_START = /^(?:[\s\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\t\r])/;

export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Characters XML 1.0 forbids even as references (C0 controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates). */
const XML_INVALID =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Drops what no XML 1.0 parser accepts, so one hostile name cannot make the whole document unreadable. */
export function xmlSafeText(text: string): string {
  return text.replace(XML_INVALID, '');
}
