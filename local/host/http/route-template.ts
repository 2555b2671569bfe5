import { LocalHostError } from '../local-host-error.ts';

interface Parameter {
  kind: 'parameter';
  name: string;
  catchAll: boolean;
  optional: boolean;
  defaultValue: string | undefined;
  constraints: ((value: string) => boolean)[];
}

type Part = { kind: 'literal'; text: string } | Parameter;

interface Segment {
  parts: Part[];
  /** For segments mixing literals and parameters ("{name}.{ext}"). */
  pattern: RegExp | undefined;
}

/**
 * A Functions HTTP route template (ASP.NET Core route template syntax): literal segments matched
 * case-insensitively, `{name}`, `{name?}`, `{name=default}`, `{name:int}` and other inline
 * constraints, `{*rest}` catch-all, and complex segments such as `{file}.{ext}`.
 */
export class RouteTemplate {
  readonly template: string;
  readonly #segments: Segment[];
  /** ASP.NET's inbound precedence digits: lower is more specific (literal 1 … catch-all 5). */
  readonly precedence: number[];

  constructor(template: string) {
    this.template = template;
    const text = template.replace(/^~?\/+/, '').replace(/\/+$/, '');
    this.#segments = text === '' ? [] : text.split('/').map((s) => parseSegment(s, template));
    this.#validate();
    this.precedence = this.#segments.map(segmentPrecedence);
  }

  /** The route values when `path` (already split, still percent-encoded) matches, else undefined. */
  match(pathSegments: readonly string[]): Record<string, string> | undefined {
    const values: Record<string, string> = {};
    const segments = this.#segments;
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!;
      const only = segment.parts.length === 1 ? segment.parts[0]! : undefined;
      if (only?.kind === 'parameter' && only.catchAll) {
        const rest = pathSegments.slice(index).map(decode).join('/');
        if (rest === '') {
          if (only.defaultValue !== undefined) values[only.name] = only.defaultValue;
          else if (!only.optional && only.constraints.length) return undefined;
        } else {
          if (!only.constraints.every((c) => c(rest))) return undefined;
          values[only.name] = rest;
        }
        return values;
      }
      const raw = pathSegments[index];
      if (raw === undefined) {
        // Only trailing optional (or defaulted) parameters may be left out.
        if (only?.kind !== 'parameter' || !(only.optional || only.defaultValue !== undefined)) {
          return undefined;
        }
        if (only.defaultValue !== undefined) values[only.name] = only.defaultValue;
        continue;
      }
      if (!matchSegment(segment, decode(raw), values)) return undefined;
    }
    return pathSegments.length > segments.length ? undefined : values;
  }

  #validate(): void {
    const names = new Set<string>();
    this.#segments.forEach((segment, index) => {
      for (const part of segment.parts) {
        if (part.kind !== 'parameter') continue;
        const key = part.name.toLowerCase();
        if (names.has(key)) invalid(this.template, `the parameter "${part.name}" appears twice`);
        names.add(key);
        if (part.catchAll && index !== this.#segments.length - 1) {
          invalid(this.template, 'a catch-all parameter must be the last segment');
        }
        if (part.catchAll && segment.parts.length > 1) {
          invalid(this.template, 'a catch-all parameter must be alone in its segment');
        }
      }
    });
  }
}

function matchSegment(segment: Segment, value: string, values: Record<string, string>): boolean {
  const only = segment.parts.length === 1 ? segment.parts[0]! : undefined;
  if (only?.kind === 'literal') return only.text.toLowerCase() === value.toLowerCase();
  if (only?.kind === 'parameter') {
    if (value === '' || !only.constraints.every((c) => c(value))) return false;
    values[only.name] = value;
    return true;
  }
  const found = segment.pattern!.exec(value);
  if (!found) return false;
  let group = 1;
  for (const part of segment.parts) {
    if (part.kind !== 'parameter') continue;
    const captured = found[group++] ?? '';
    if (!part.constraints.every((c) => c(captured))) return false;
    values[part.name] = captured;
  }
  return true;
}

function parseSegment(text: string, template: string): Segment {
  if (text === '') invalid(template, 'it has an empty segment ("//")');
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '{' && text[i + 1] === '{') {
      literal += '{';
      i++;
    } else if (c === '}' && text[i + 1] === '}') {
      literal += '}';
      i++;
    } else if (c === '{') {
      const end = closingBrace(text, i, template);
      if (literal) parts.push({ kind: 'literal', text: literal });
      literal = '';
      parts.push(parseParameter(text.slice(i + 1, end), template));
      i = end;
    } else if (c === '}') {
      invalid(template, 'it has an unmatched "}"');
    } else literal += c;
  }
  if (literal) parts.push({ kind: 'literal', text: literal });
  for (let i = 1; i < parts.length; i++) {
    if (parts[i]!.kind === 'parameter' && parts[i - 1]!.kind === 'parameter') {
      invalid(template, 'two parameters in one segment need a literal between them');
    }
  }
  // Greedy captures give ASP.NET's right-to-left matching: "{name}.{ext}" on "a.b.pdf" binds
  // name "a.b" and ext "pdf".
  const pattern =
    parts.length > 1
      ? new RegExp(
          `^${parts.map((p) => (p.kind === 'literal' ? escapeRegExp(p.text) : '(.+)')).join('')}$`,
          'i',
        )
      : undefined;
  return { parts, pattern };
}

function closingBrace(text: string, open: number, template: string): number {
  let depth = 0;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    // Braces inside a constraint's parentheses (a regex's "{{3}}") do not close the parameter.
    else if (c === '}' && depth === 0) return i;
  }
  return invalid(template, 'it has an unmatched "{"');
}

function parseParameter(content: string, template: string): Parameter {
  let rest = content;
  let catchAll = false;
  if (rest.startsWith('**')) {
    catchAll = true;
    rest = rest.slice(2);
  } else if (rest.startsWith('*')) {
    catchAll = true;
    rest = rest.slice(1);
  }
  let defaultValue: string | undefined;
  let optional = false;
  const equals = indexOutsideParentheses(rest, '=');
  if (equals >= 0) {
    defaultValue = rest.slice(equals + 1);
    rest = rest.slice(0, equals);
  } else if (rest.endsWith('?')) {
    optional = true;
    rest = rest.slice(0, -1);
  }
  const colon = rest.indexOf(':');
  const name = colon < 0 ? rest : rest.slice(0, colon);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    invalid(template, `"{${content}}" is not a parameter`);
  const constraints =
    colon < 0 ? [] : splitConstraints(rest.slice(colon + 1)).map((c) => constraint(c, template));
  return { kind: 'parameter', name, catchAll, optional, defaultValue, constraints };
}

function splitConstraints(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ':' && depth === 0) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

function indexOutsideParentheses(text: string, char: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === char && depth === 0) return i;
  }
  return -1;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The inline constraints ASP.NET Core routing knows (and so the Functions host accepts). */
function constraint(text: string, template: string): (value: string) => boolean {
  const call = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(text);
  if (!call) return invalid(template, `"${text}" is not a route constraint`);
  const name = call[1]!.toLowerCase();
  const args = call[2] === undefined ? [] : name === 'regex' ? [call[2]] : call[2].split(',');
  const numbers = args.map(Number);
  const needs = (count: number) => {
    if (args.length !== count || (name !== 'regex' && numbers.some(Number.isNaN))) {
      invalid(template, `the constraint "${text}" needs ${count} argument(s)`);
    }
  };
  switch (name) {
    case 'int':
      return (v) => /^[+-]?\d+$/.test(v) && Math.abs(Number(v)) <= 2_147_483_648;
    case 'long':
      return (v) => /^[+-]?\d+$/.test(v) && BigInt(v) <= 2n ** 63n && BigInt(v) >= -(2n ** 63n);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'alpha':
      return (v) => /^[A-Za-z]+$/.test(v);
    case 'guid':
      return (v) =>
        /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/i.test(
          v.replace(/^[{(](.*)[})]$/, '$1'),
        );
    case 'decimal':
    case 'double':
    case 'float':
      return (v) => NUMBER.test(v);
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'required':
      return (v) => v !== '';
    case 'minlength':
      needs(1);
      return (v) => v.length >= numbers[0]!;
    case 'maxlength':
      needs(1);
      return (v) => v.length <= numbers[0]!;
    case 'length':
      if (args.length === 1) return (v) => v.length === numbers[0]!;
      needs(2);
      return (v) => v.length >= numbers[0]! && v.length <= numbers[1]!;
    case 'min':
      needs(1);
      return (v) => /^[+-]?\d+$/.test(v) && Number(v) >= numbers[0]!;
    case 'max':
      needs(1);
      return (v) => /^[+-]?\d+$/.test(v) && Number(v) <= numbers[0]!;
    case 'range':
      needs(2);
      return (v) => /^[+-]?\d+$/.test(v) && Number(v) >= numbers[0]! && Number(v) <= numbers[1]!;
    case 'regex': {
      needs(1);
      let pattern: RegExp;
      try {
        pattern = new RegExp(args[0]!.replace(/\{\{/g, '{').replace(/\}\}/g, '}'), 'i');
      } catch {
        return invalid(template, `the constraint "${text}" is not a valid regular expression`);
      }
      return (v) => pattern.test(v);
    }
    default:
      return invalid(template, `"${name}" is not a route constraint the Functions host knows`);
  }
}

function segmentPrecedence(segment: Segment): number {
  const only = segment.parts.length === 1 ? segment.parts[0]! : undefined;
  if (!only) return 2;
  if (only.kind === 'literal') return 1;
  if (only.catchAll) return 5;
  return only.constraints.length ? 3 : 4;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function invalid(template: string, problem: string): never {
  throw new LocalHostError(
    'ROUTE_INVALID',
    `The route template "${template}" is invalid: ${problem}.`,
  );
}
