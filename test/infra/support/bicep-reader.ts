/**
 * A small reader for the Bicep in infra/, enough for the offline checks and no more: it is not a
 * parser. It relies on the conventions infra/ follows: declarations start at column 0, objects
 * put one property per line or are one-liners, strings are single-quoted. Comments are dropped
 * first; string contents never count as code.
 */

export interface BicepParam {
  name: string;
  type: string;
  /** The decorators on the lines right above it (`@description(...)`, `@allowed(...)`). */
  decorators: string[];
  /** The default's source text, if it has one. */
  defaultValue: string | undefined;
}

const DECLARATION =
  /^(param|var|resource|module|output|extension|targetScope|type|func|metadata|import)\b/;

/** The source with `//` and `/* *\/` comments removed (strings untouched). */
export function stripComments(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "'") {
      const end = endOfString(source, i);
      out += source.slice(i, end);
      i = end - 1;
    } else if (c === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 1;
    } else {
      out += c;
    }
  }
  return out;
}

/** Index just past the string literal starting at `start` (a quote). */
function endOfString(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === "'") return i + 1;
  }
  return source.length;
}

/** Every `param` with its decorators and default. */
export function readParams(source: string): BicepParam[] {
  const params: BicepParam[] = [];
  let decorators: string[] = [];
  for (const line of stripComments(source).split('\n')) {
    if (line.startsWith('@')) {
      decorators.push(line.trim());
      continue;
    }
    const match = /^param\s+(\w+)\s+([^=]+?)\s*(?:=\s*(.+))?$/.exec(line);
    if (match) {
      params.push({
        name: match[1]!,
        type: match[2]!.trim(),
        decorators,
        defaultValue: match[3]?.trim(),
      });
    }
    if (line.trim() !== '') decorators = [];
  }
  return params;
}

/** How often `identifier` occurs as a whole word in code (not in strings), declarations included. */
export function countIdentifier(source: string, identifier: string): number {
  const code = codeOnly(stripComments(source));
  return code.match(new RegExp(`(?<![\\w.])${identifier}\\b`, 'g'))?.length ?? 0;
}

/** The code with the contents of string literals blanked, keeping `${...}` interpolations. */
function codeOnly(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    if (source[i] !== "'") {
      out += source[i];
      continue;
    }
    const end = endOfString(source, i);
    const body = source.slice(i + 1, end - 1);
    out += `'${body.replace(/\$\{([^}]*)\}|[^$]+|\$/g, (all, inner: string | undefined) =>
      inner === undefined ? ' '.repeat(all.length) : `\${${inner}}`,
    )}'`;
    i = end - 1;
  }
  return out;
}

/** The source text of a top-level declaration (`var x = …`, `module m '…' = …`), up to the next one. */
export function declaration(source: string, kind: string, name: string): string {
  const lines = stripComments(source).split('\n');
  const start = lines.findIndex((line) => new RegExp(`^${kind}\\s+${name}\\b`).test(line));
  if (start < 0) throw new Error(`No ${kind} ${name}.`);
  let end = start + 1;
  while (end < lines.length && !DECLARATION.test(lines[end]!) && !lines[end]!.startsWith('@')) {
    end++;
  }
  return lines.slice(start, end).join('\n');
}

/**
 * The property names of the object literals directly in `expression` (not nested ones), with the
 * source text of each value: for `{ A: 1 }`, `c ? { A: 1 } : { B: 2 }` and `union({ A: 1 }, x)` alike.
 */
export function objectProperties(expression: string): Map<string, string> {
  const properties = new Map<string, string>();
  const stack: string[] = [];
  let atPropertyStart = false;
  for (let i = 0; i < expression.length; i++) {
    if (atPropertyStart && stack.at(-1) === '{' && depthOfBraces(stack) === 1) {
      const key = /^\s*([A-Za-z_]\w*|'[^'\n]*')\s*:(?!:)/.exec(expression.slice(i));
      if (key) {
        // The value's text up to the end of its line (one-line objects: imprecise, keys still right).
        const rest = expression.slice(i + key[0].length);
        const value = rest.slice(0, rest.indexOf('\n') < 0 ? undefined : rest.indexOf('\n'));
        properties.set(key[1]!.replace(/^'|'$/g, ''), value.trim().replace(/[,}\s]+$/, ''));
        i += key[0].length - 1;
        atPropertyStart = false;
        continue;
      }
    }
    const c = expression[i]!;
    if (c === "'") {
      i = endOfString(expression, i) - 1;
      atPropertyStart = false;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') stack.push(c);
    else if (c === '}' || c === ']' || c === ')') stack.pop();
    if (c === '{' || c === '\n' || c === ',') atPropertyStart = true;
    else if (c.trim() !== '') atPropertyStart = false;
  }
  return properties;
}

function depthOfBraces(stack: string[]): number {
  return stack.filter((c) => c === '{').length;
}

/** Every string literal in `expression`, in order (for lists like `[ 'a' 'b' ]`). */
export function stringLiterals(expression: string): string[] {
  const strings: string[] = [];
  for (let i = 0; i < expression.length; i++) {
    if (expression[i] !== "'") continue;
    const end = endOfString(expression, i);
    strings.push(expression.slice(i + 1, end - 1));
    i = end - 1;
  }
  return strings;
}

/** The `params: { … }` a module declaration passes, name to source text. */
export function moduleParams(source: string, name: string): Map<string, string> {
  const text = declaration(source, 'module', name);
  const at = text.indexOf('params: {');
  if (at < 0) return new Map();
  return objectProperties(text.slice(at + 'params: '.length, matchingBrace(text, at + 8) + 1));
}

/** The module declarations of a file: symbolic name and path. */
export function modules(source: string): { name: string; path: string }[] {
  return [...stripComments(source).matchAll(/^module\s+(\w+)\s+'([^']+)'/gm)].map((m) => ({
    name: m[1]!,
    path: m[2]!,
  }));
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "'") i = endOfString(text, i) - 1;
    else if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  throw new Error('Unbalanced braces.');
}
