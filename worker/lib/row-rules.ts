import { z } from "@hono/zod-openapi";
import { AppError } from "./errors";
import { isPlainObject, type Doc } from "./ejson";
import { checkFilter } from "./query-policy";
import { ROLES } from "./roles";

/**
 * Custom roles: per collection (or "*"), the actions allowed, fields hidden from reads, fields that may not be
 * written, and a row filter that may name the caller (`$$user.id`, `$$key.id`, `$$claims.<path>`). The filter is
 * ANDed into every read, update and delete, and every insert must satisfy it. Pure functions; the gate
 * (worker/lib/access.ts) and the policed store apply them.
 */
export const ROLE_ACTIONS = ["find", "insert", "update", "delete", "aggregate", "manage"] as const;
export type RoleAction = (typeof ROLE_ACTIONS)[number];

const FieldPath = z
  .string()
  .min(1)
  .max(300)
  .regex(/^[^$.][^$]*$/, "a dotted field path, not an operator");

export const RoleRule = z.object({
  collection: z
    .string()
    .min(1)
    .max(120)
    .openapi({ description: 'a collection name, or "*" for every other collection' }),
  actions: z.array(z.enum(ROLE_ACTIONS)).min(1),
  hiddenFields: z.array(FieldPath).max(100).default([]),
  readOnlyFields: z.array(FieldPath).max(100).default([]),
  filter: z
    .record(z.string(), z.unknown())
    .nullable()
    .default(null)
    .openapi({ description: 'row filter, e.g. {"owner": "$$user.id"}' }),
});
export type RoleRule = z.infer<typeof RoleRule>;

export const ROLE_NAME = /^[a-z][a-z0-9_-]{0,39}$/;
export const RoleBody = z.object({
  description: z.string().max(500).default(""),
  rules: z.array(RoleRule).min(1).max(100),
});
export type RoleDefinition = z.infer<typeof RoleBody> & { name: string };

/** Who the caller is, for the filter's variables. */
export interface Caller {
  userId?: string | null;
  keyId: string | null;
  claims?: Record<string, unknown>;
}

/** The scope a custom role gives on one collection, with its filter resolved for this caller. */
export interface RowScope {
  actions: readonly RoleAction[];
  filter: Doc | null;
  hidden: string[];
  readOnly: string[];
  /** Fields the row filter pins: changing them would move a row out of the caller's reach. */
  pinned: string[];
}

const VARIABLE = /^\$\$(user\.id|key\.id|claims\.[A-Za-z0-9_.:-]+)$/;
/** Matches nothing: what a filter whose variable has no value for this caller becomes (fail closed). */
const NOTHING: Doc = { _id: { $in: [] } };

export function checkRoleName(name: string): void {
  if (!ROLE_NAME.test(name) || (ROLES as readonly string[]).includes(name)) {
    throw new AppError(
      400,
      "INVALID_ROLE_NAME",
      `role names are lower-case letters, digits, - and _, start with a letter, and are not read, write or admin`,
      { name },
    );
  }
}

/** A role definition is checked once, when saved: its filters pass the query policy with placeholder values. */
export function checkRoleDefinition(def: { rules: RoleRule[] }): void {
  const seen = new Set<string>();
  def.rules.forEach((rule, i) => {
    if (seen.has(rule.collection))
      throw new AppError(400, "INVALID_ROLE", `rules.${i}: collection "${rule.collection}" has two rules`, {
        path: `rules.${i}.collection`,
      });
    seen.add(rule.collection);
    if (rule.filter)
      checkFilter(
        substitute(rule.filter, () => "placeholder"),
        `rules.${i}.filter`,
      );
  });
}

function lookup(path: string, caller: Caller): unknown {
  if (path === "user.id") return caller.userId ?? undefined;
  if (path === "key.id") return caller.keyId ?? undefined;
  let cur: unknown = caller.claims;
  for (const part of path.slice("claims.".length).split(".")) {
    if (!isPlainObject(cur)) return undefined;
    cur = (cur as Doc)[part];
  }
  return cur;
}

function substitute(value: unknown, resolve: (path: string) => unknown): unknown {
  if (typeof value === "string") {
    const m = VARIABLE.exec(value);
    return m ? resolve(m[1]) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, resolve));
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, resolve)]));
  return value;
}

/** The row filter with the caller's values in place; a variable without a value makes it match nothing. */
export function resolveFilter(filter: Doc, caller: Caller): Doc {
  let missing = false;
  const resolved = substitute(filter, (path) => {
    const v = lookup(path, caller);
    if (v === undefined || v === null || (typeof v === "object" && !Array.isArray(v))) missing = true;
    return v ?? null;
  }) as Doc;
  return missing ? NOTHING : resolved;
}

/** Top-level field paths a filter constrains (through $and, $or and $nor too). */
export function filterFields(filter: Doc | null, out: string[] = []): string[] {
  if (!filter) return out;
  for (const [k, v] of Object.entries(filter)) {
    if (k === "$and" || k === "$or" || k === "$nor") {
      if (Array.isArray(v)) for (const sub of v) if (isPlainObject(sub)) filterFields(sub as Doc, out);
    } else if (!k.startsWith("$")) out.push(k);
  }
  return out;
}

/** The rule for a collection: its own, else the "*" rule, else none. */
export function ruleFor(rules: RoleRule[], collection: string): RoleRule | null {
  return rules.find((r) => r.collection === collection) ?? rules.find((r) => r.collection === "*") ?? null;
}

export function scopeFor(rules: RoleRule[], collection: string, caller: Caller): RowScope | null {
  const rule = ruleFor(rules, collection);
  if (!rule) return null;
  return {
    actions: rule.actions,
    filter: rule.filter ? resolveFilter(rule.filter as Doc, caller) : null,
    hidden: rule.hiddenFields,
    readOnly: rule.readOnlyFields,
    pinned: filterFields(rule.filter as Doc | null),
  };
}

/** `a.b` and `a` overlap; `a.b` and `a.c` do not. */
export function overlaps(path: string, field: string): boolean {
  return path === field || path.startsWith(`${field}.`) || field.startsWith(`${path}.`);
}

/** Every path a filter, sort or projection mentions, at any depth ($elemMatch and logical operators included). */
export function mentionedPaths(doc: unknown, prefix = "", out: string[] = []): string[] {
  if (Array.isArray(doc)) {
    for (const v of doc) mentionedPaths(v, prefix, out);
    return out;
  }
  if (!isPlainObject(doc)) return out;
  for (const [k, v] of Object.entries(doc as Doc)) {
    if (k.startsWith("$")) mentionedPaths(v, prefix, out);
    else {
      const path = prefix ? `${prefix}.${k}` : k;
      out.push(path);
      if (isPlainObject(v) || Array.isArray(v)) mentionedPaths(v, path, out);
    }
  }
  return out;
}

/** Refuses a filter or sort that names a hidden field: matching on it would reveal its value one query at a time. */
export function refuseHiddenReferences(scope: RowScope, what: string, doc: unknown): void {
  if (scope.hidden.length === 0 || doc === undefined || doc === null) return;
  const hit = mentionedPaths(doc).find((p) => scope.hidden.some((h) => overlaps(p, h)));
  if (hit)
    throw new AppError(403, "FIELD_HIDDEN", `${what} names "${hit}", a field this role cannot read`, { path: hit });
}

/** Paths an update writes: operator targets ($rename's both ends), or every leaf of a merge patch. */
export function writtenPaths(update: Doc): string[] {
  const out: string[] = [];
  for (const [op, spec] of Object.entries(update)) {
    if (!isPlainObject(spec)) continue;
    if (op === "$mergePatch") {
      const walk = (v: Doc, prefix: string) => {
        for (const [k, sub] of Object.entries(v)) {
          const path = prefix ? `${prefix}.${k}` : k;
          out.push(path);
          if (isPlainObject(sub)) walk(sub as Doc, path);
        }
      };
      walk(spec as Doc, "");
      continue;
    }
    for (const [path, value] of Object.entries(spec as Doc)) {
      out.push(path.replace(/\.\$(\[[^\]]*\])?/g, ""));
      if (op === "$rename" && typeof value === "string") out.push(value);
    }
  }
  return out;
}

/** Refuses writes to read-only fields and to the fields the row filter pins. */
export function refuseProtectedWrites(scope: RowScope, paths: string[]): void {
  for (const p of paths) {
    const ro = scope.readOnly.find((f) => overlaps(p, f));
    if (ro) throw new AppError(403, "FIELD_READ_ONLY", `this role may not write "${ro}"`, { path: p });
    const pin = scope.pinned.find((f) => overlaps(p, f));
    if (pin)
      throw new AppError(
        403,
        "FIELD_READ_ONLY",
        `"${pin}" decides which rows this role reaches; it may not change it`,
        { path: p },
      );
  }
}

/** Top-level and nested paths a document sets. */
export function documentPaths(doc: Doc, prefix = "", out: string[] = []): string[] {
  for (const [k, v] of Object.entries(doc)) {
    const path = prefix ? `${prefix}.${k}` : k;
    out.push(path);
    if (isPlainObject(v)) documentPaths(v as Doc, path, out);
  }
  return out;
}

/** A copy of the document without the hidden paths. */
export function withoutHidden(doc: Doc, hidden: string[]): Doc {
  if (hidden.length === 0) return doc;
  const copy = structuredClone(doc);
  for (const path of hidden) {
    const parts = path.split(".");
    let cur: unknown = copy;
    for (const part of parts.slice(0, -1)) cur = isPlainObject(cur) ? (cur as Doc)[part] : undefined;
    if (isPlainObject(cur)) delete (cur as Doc)[parts[parts.length - 1]];
  }
  return copy;
}

export function andFilter(user: Doc, scope: RowScope): Doc {
  if (!scope.filter) return user;
  if (Object.keys(user).length === 0) return scope.filter;
  return { $and: [user, scope.filter] };
}
