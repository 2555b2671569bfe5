/**
 * The few OData query options the gateway's calls use, parsed as strictly as Graph does: a bad
 * value is a 400 whose message quotes it, never a silently ignored option. Each parser answers
 * either a value or `{ error }` with Graph's message.
 */
export type Parsed<T> = { value: T } | { error: string };

export function parseSelect(
  raw: string | null,
  allowed: readonly string[],
  typeName: string,
): Parsed<string[] | undefined> {
  if (raw === null) return { value: undefined };
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  const known = new Map(allowed.map((a) => [a.toLowerCase(), a]));
  const resolved: string[] = [];
  for (const name of names) {
    const property = known.get(name.toLowerCase());
    if (!property)
      return { error: `Could not find a property named '${name}' on type '${typeName}'.` };
    if (!resolved.includes(property)) resolved.push(property);
  }
  return { value: resolved };
}

export function parseTop(raw: string | null, max = 999): Parsed<number | undefined> {
  if (raw === null) return { value: undefined };
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) {
    return {
      error: `Invalid page size specified: '${raw}'. Must be between 1 and ${max} inclusive.`,
    };
  }
  return { value };
}

/** An opaque skip token: base64url of the offset, as opaque to clients as Graph's own. */
export function encodeSkipToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset, k: 'local' })).toString('base64url');
}

export function parseSkipToken(raw: string | null): Parsed<number> {
  if (raw === null) return { value: 0 };
  try {
    const { o } = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return { value: o };
  } catch {
    // falls through to the error below
  }
  return { error: `Invalid skip token '${raw}'.` };
}

/** `$filter=path eq 'value'`: the only filter form the gateway uses (teamsApp/externalId). */
export function parseEqFilter<P extends string>(
  raw: string | null,
  allowedPaths: readonly P[],
): Parsed<{ path: P; value: string } | undefined> {
  if (raw === null) return { value: undefined };
  const match = /^\s*([A-Za-z][\w/]*)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(raw);
  const path = match?.[1];
  if (!match || path === undefined) return { error: `Invalid filter clause: ${raw}` };
  const known = allowedPaths.find((p) => p.toLowerCase() === path.toLowerCase());
  if (!known)
    return { error: `Invalid filter clause: the property '${path}' cannot be filtered on.` };
  return { value: { path: known, value: match[2]!.replace(/''/g, "'") } };
}

export function parseExpand(
  raw: string | null,
  allowed: readonly string[],
  typeName: string,
): Parsed<string[]> {
  if (raw === null) return { value: [] };
  const resolved: string[] = [];
  for (const name of raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0)) {
    const property = allowed.find((a) => a.toLowerCase() === name.toLowerCase());
    if (!property)
      return {
        error: `Could not find a navigation property named '${name}' on type '${typeName}'.`,
      };
    resolved.push(property);
  }
  return { value: resolved };
}
