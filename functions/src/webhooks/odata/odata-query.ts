// OData system query options → a small typed tree. $filter, $orderby and $select are parsed by
// @odata/parser (a maintained OData v4 ABNF parser); nothing here builds SQL. Two pieces of the standard
// that parser does not know are handled around it:
//   * `x in (a, b)` (OData 4.01): rewritten, outside string literals, to `(x eq a or x eq b)` before parsing;
//   * `$apply` (the Data Aggregation extension): its transformation list is split here, and every
//     expression inside it (filter(...)) goes through the same parser.
import { defaultParser } from '@odata/parser';
import { ODataError } from './odata-errors';

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: string }
  | { kind: 'date'; value: string }
  | { kind: 'datetime'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };
export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterNode =
  | { and: FilterNode[] }
  | { or: FilterNode[] }
  | { not: FilterNode }
  | { compare: CompareOp; property: string; literal: Literal }
  | { call: 'contains' | 'startswith' | 'endswith'; property: string; literal: Literal };

export interface Aggregate {
  property: string;
  method: 'sum';
  alias: string;
}
export interface ApplyPlan {
  /** filter() before the grouping: on fact rows */
  before: FilterNode[];
  groupBy: string[];
  aggregates: Aggregate[];
  /** filter() after the grouping: on groups */
  after: FilterNode[];
}

export interface ODataOptions {
  select?: string[];
  filter?: FilterNode;
  orderBy: { property: string; desc: boolean }[];
  top?: number;
  skip?: number;
  count: boolean;
  skipToken?: string;
  apply?: ApplyPlan;
}

const SUPPORTED = new Set([
  '$filter',
  '$select',
  '$orderby',
  '$top',
  '$skip',
  '$count',
  '$apply',
  '$skiptoken',
  '$format',
]);

export function parseODataOptions(params: URLSearchParams): ODataOptions {
  for (const k of new Set(params.keys())) {
    if (k.startsWith('$') && !SUPPORTED.has(k))
      throw new ODataError(400, 'NotSupported', `The query option ${k} is not supported by this feed`, k);
    if (params.getAll(k).length > 1)
      throw new ODataError(400, 'BadRequest', `The query option ${k} is given more than once`, k);
  }
  const format = params.get('$format');
  if (format !== null && !/^(json|application\/json)(;.*)?$/i.test(format))
    throw new ODataError(400, 'NotSupported', 'This feed answers JSON only', '$format');
  const options: ODataOptions = { orderBy: [], count: false };
  const filter = params.get('$filter');
  if (filter !== null) options.filter = parseFilter(filter, '$filter');
  const select = params.get('$select');
  if (select !== null && select.trim() !== '*') {
    options.select = select.split(',').map((s) => s.trim());
    if (options.select.some((s) => !/^[A-Za-z_][A-Za-z0-9_]{0,80}$/.test(s)))
      throw new ODataError(400, 'BadRequest', '$select lists property names separated by commas', '$select');
  }
  const orderby = params.get('$orderby');
  if (orderby !== null) options.orderBy = parseOrderBy(orderby);
  options.top = integerOption(params, '$top');
  options.skip = integerOption(params, '$skip');
  const count = params.get('$count');
  if (count !== null) {
    if (count !== 'true' && count !== 'false')
      throw new ODataError(400, 'BadRequest', '$count is true or false', '$count');
    options.count = count === 'true';
  }
  const token = params.get('$skiptoken');
  if (token !== null) options.skipToken = token;
  const apply = params.get('$apply');
  if (apply !== null) options.apply = parseApply(apply);
  return options;
}

function integerOption(params: URLSearchParams, name: string): number | undefined {
  const v = params.get(name);
  if (v === null) return undefined;
  if (!/^\d{1,9}$/.test(v)) throw new ODataError(400, 'BadRequest', `${name} is a non-negative integer`, name);
  return Number(v);
}

/** Parses one boolean expression with the library, after rewriting `in` lists. */
export function parseFilter(text: string, target: string): FilterNode {
  if (text.length > 8000) throw new ODataError(400, 'BadRequest', 'The filter is too long', target);
  let token: Token;
  try {
    token = defaultParser.filter(rewriteIn(text)) as unknown as Token;
  } catch (e) {
    throw new ODataError(400, 'BadRequest', `The filter could not be parsed: ${(e as Error).message}`, target);
  }
  if (!token) throw new ODataError(400, 'BadRequest', 'The filter could not be parsed', target);
  return toNode(token, target);
}

interface Token {
  type: string;
  value: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  raw: string;
}

function toNode(t: Token, target: string): FilterNode {
  switch (t.type) {
    case 'AndExpression':
      return { and: [toNode(t.value.left, target), toNode(t.value.right, target)] };
    case 'OrExpression':
      return { or: [toNode(t.value.left, target), toNode(t.value.right, target)] };
    case 'NotExpression':
      return { not: toNode(t.value, target) };
    case 'BoolParenExpression':
    case 'ParenExpression':
    case 'CommonExpression':
      return toNode(t.value, target);
    case 'EqualsExpression':
    case 'NotEqualsExpression':
    case 'GreaterThanExpression':
    case 'GreaterOrEqualsExpression':
    case 'LesserThanExpression':
    case 'LesserOrEqualsExpression': {
      const op = (
        {
          EqualsExpression: 'eq',
          NotEqualsExpression: 'ne',
          GreaterThanExpression: 'gt',
          GreaterOrEqualsExpression: 'ge',
          LesserThanExpression: 'lt',
          LesserOrEqualsExpression: 'le',
        } as const
      )[t.type];
      const left = unwrap(t.value.left);
      const right = unwrap(t.value.right);
      if (left.type === 'Literal' && right.type !== 'Literal')
        return { compare: flip(op), property: propertyName(right, target), literal: literal(left, target) };
      return { compare: op, property: propertyName(left, target), literal: literal(right, target) };
    }
    case 'MethodCallExpression': {
      const method = String(t.value.method);
      if (method !== 'contains' && method !== 'startswith' && method !== 'endswith') {
        throw new ODataError(
          400,
          'NotSupported',
          `The function ${method}() is not supported; use eq, ne, gt, ge, lt, le, and, or, not, in, contains, startswith or endswith`,
          target,
        );
      }
      const [a, b] = (t.value.parameters as Token[]).map(unwrap);
      if (!a || !b || b.type !== 'Literal')
        throw new ODataError(400, 'BadRequest', `${method}() takes a property and a text`, target);
      return { call: method, property: propertyName(a, target), literal: literal(b, target) };
    }
    default:
      throw new ODataError(400, 'NotSupported', `This filter expression is not supported: ${t.raw}`, target);
  }
}

function unwrap(t: Token): Token {
  let cur = t;
  while (
    cur &&
    (cur.type === 'CommonExpression' || cur.type === 'ParenExpression' || cur.type === 'BoolParenExpression') &&
    cur.value?.type
  )
    cur = cur.value;
  return cur;
}

function flip(op: CompareOp): CompareOp {
  return ({ eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' } as const)[op];
}

function propertyName(t: Token, target: string): string {
  // FirstMemberExpression → MemberExpression → PropertyPathExpression → ODataIdentifier
  let cur: Token | undefined = t;
  for (let i = 0; i < 6 && cur && cur.type !== 'ODataIdentifier'; i++) {
    if (cur.type === 'PropertyPathExpression' && cur.value?.current) {
      throw new ODataError(400, 'BadRequest', `Navigation paths are not supported: ${t.raw}`, target);
    }
    if (!['FirstMemberExpression', 'MemberExpression', 'PropertyPathExpression', 'CommonExpression'].includes(cur.type))
      break;
    cur = cur.value as Token;
  }
  if (!cur || cur.type !== 'ODataIdentifier')
    throw new ODataError(400, 'NotSupported', `Expected a property name, found: ${t.raw}`, target);
  return String(cur.value.name);
}

function literal(t: Token, target: string): Literal {
  if (t.type !== 'Literal')
    throw new ODataError(400, 'NotSupported', `Expected a literal value, found: ${t.raw}`, target);
  const raw = t.raw;
  switch (t.value) {
    case 'Edm.String':
      return { kind: 'string', value: raw.slice(1, -1).replace(/''/g, "'") };
    case 'Edm.Date':
      return { kind: 'date', value: raw };
    case 'Edm.DateTimeOffset':
      return { kind: 'datetime', value: raw };
    case 'Edm.Boolean':
      return { kind: 'boolean', value: raw === 'true' };
    case 'null':
      return { kind: 'null' };
    case 'Edm.SByte':
    case 'Edm.Byte':
    case 'Edm.Int16':
    case 'Edm.Int32':
    case 'Edm.Int64':
    case 'Edm.Decimal':
    case 'Edm.Double':
    case 'Edm.Single':
      if (!/^-?\d+(\.\d+)?$/.test(raw))
        throw new ODataError(400, 'BadRequest', `Not a plain decimal number: ${raw}`, target);
      return { kind: 'number', value: raw };
    default:
      throw new ODataError(400, 'NotSupported', `Literals of type ${String(t.value)} are not supported`, target);
  }
}

/** Masks string literals ('…', with '' inside) so structural scans never look into them. */
function masked(text: string): string {
  return text.replace(/'(?:[^']|'')*'/g, (m) => `'${'_'.repeat(m.length - 2)}'`);
}

/** `Prop in (v1, v2)` → `(Prop eq v1 or Prop eq v2)`, leaving string literals untouched. */
export function rewriteIn(text: string): string {
  const mask = masked(text);
  const re = /([A-Za-z_][A-Za-z0-9_]*)\s+in\s*\(/g;
  let out = '';
  let last = 0;
  for (let m = re.exec(mask); m; m = re.exec(mask)) {
    const open = m.index + m[0].length - 1;
    const close = matchingParen(mask, open);
    if (close < 0) break;
    const items = splitTopLevel(text.slice(open + 1, close), mask.slice(open + 1, close), ',');
    if (!items.length || items.some((s) => !s.trim()))
      throw new ODataError(400, 'BadRequest', '`in` needs a list of values', '$filter');
    out += `${text.slice(last, m.index)}(${items.map((v) => `${m![1]} eq ${v.trim()}`).join(' or ')})`;
    last = close + 1;
    re.lastIndex = close + 1;
  }
  return out + text.slice(last);
}

function matchingParen(mask: string, open: number): number {
  let depth = 0;
  for (let i = open; i < mask.length; i++) {
    if (mask[i] === '(') depth++;
    else if (mask[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

function splitTopLevel(text: string, mask: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < mask.length; i++) {
    const c = mask[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function parseOrderBy(text: string): { property: string; desc: boolean }[] {
  return text.split(',').map((item) => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]{0,80})(?:\s+(asc|desc))?\s*$/i.exec(item);
    if (!m)
      throw new ODataError(
        400,
        'NotSupported',
        `$orderby takes property names with asc or desc: ${item.trim()}`,
        '$orderby',
      );
    return { property: m[1]!, desc: (m[2] ?? '').toLowerCase() === 'desc' };
  });
}

/** filter(…)/…/groupby((…), aggregate(…))/filter(…), or aggregate(…) alone. */
export function parseApply(text: string): ApplyPlan {
  const plan: ApplyPlan = { before: [], groupBy: [], aggregates: [], after: [] };
  const mask = masked(text);
  let grouped = false;
  for (const [step, stepMask] of zipSplit(text, mask, '/')) {
    const m = /^\s*(filter|groupby|aggregate)\s*\(/.exec(stepMask);
    const close = m ? matchingParen(stepMask, m[0].length - 1) : -1;
    if (!m || close < 0 || stepMask.slice(close + 1).trim())
      throw new ODataError(
        400,
        'NotSupported',
        `Unsupported $apply transformation: ${step.trim().slice(0, 100)}`,
        '$apply',
      );
    const inner = step.slice(m[0].length, close);
    const innerMask = stepMask.slice(m[0].length, close);
    if (m[1] === 'filter') {
      (grouped ? plan.after : plan.before).push(parseFilter(inner, '$apply'));
      continue;
    }
    if (grouped) throw new ODataError(400, 'NotSupported', '$apply groups once', '$apply');
    grouped = true;
    if (m[1] === 'aggregate') {
      plan.aggregates = parseAggregates(inner);
      continue;
    }
    const parts = zipSplit(inner, innerMask, ',');
    const first = parts[0]![0].trim();
    if (!first.startsWith('(') || !first.endsWith(')'))
      throw new ODataError(400, 'BadRequest', 'groupby takes a parenthesized list of properties', '$apply');
    plan.groupBy = first
      .slice(1, -1)
      .split(',')
      .map((s) => s.trim());
    if (plan.groupBy.some((s) => !/^[A-Za-z_][A-Za-z0-9_]{0,80}$/.test(s)))
      throw new ODataError(400, 'BadRequest', 'groupby lists property names', '$apply');
    if (parts.length > 2)
      throw new ODataError(400, 'NotSupported', 'groupby takes a property list and at most one aggregate(…)', '$apply');
    if (parts[1]) {
      const agg = /^\s*aggregate\s*\(([\s\S]*)\)\s*$/.exec(parts[1][0]);
      if (!agg)
        throw new ODataError(
          400,
          'NotSupported',
          `Unsupported groupby transformation: ${parts[1][0].trim().slice(0, 100)}`,
          '$apply',
        );
      plan.aggregates = parseAggregates(agg[1]!);
    }
  }
  if (!grouped) throw new ODataError(400, 'NotSupported', '$apply needs groupby(…) or aggregate(…)', '$apply');
  return plan;
}

function parseAggregates(text: string): Aggregate[] {
  return text.split(',').map((item) => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]{0,80})\s+with\s+([A-Za-z]+)\s+as\s+([A-Za-z_][A-Za-z0-9_]{0,80})\s*$/.exec(
      item,
    );
    if (!m)
      throw new ODataError(
        400,
        'NotSupported',
        `aggregate takes "Property with sum as Alias": ${item.trim().slice(0, 100)}`,
        '$apply',
      );
    if (m[2] !== 'sum')
      throw new ODataError(
        400,
        'NotSupported',
        `Only sum is supported as an aggregation method, not ${m[2]}`,
        '$apply',
      );
    return { property: m[1]!, method: 'sum', alias: m[3]! };
  });
}

function zipSplit(text: string, mask: string, sep: string): [string, string][] {
  const texts = splitTopLevel(text, mask, sep);
  const masks = splitTopLevel(mask, mask, sep);
  return texts.map((t, i) => [t, masks[i]!]);
}
