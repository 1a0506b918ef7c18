import { RE2JS } from "re2js";
import { badRequest } from "./errors";
import { charge } from "./budget";

/**
 * Regular expressions from users run on RE2 (RE2JS), whose matching time is linear in the input: a backtracking
 * pattern such as `(a+)+$` cannot stall the runtime. RE2 has no backreferences or lookaround; patterns using them are
 * refused when the query is checked.
 */
const FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL };
const compiled = new Map<string, RE2JS>();
const MAX_COMPILED = 256;

export function compileSafe(source: string, flags: string): RE2JS {
  const key = `${flags}/${source}`;
  let re = compiled.get(key);
  if (re) return re;
  let bits = 0;
  for (const f of flags) bits |= FLAGS[f] ?? 0;
  try {
    re = RE2JS.compile(source, bits);
  } catch (err) {
    throw badRequest(
      "REGEX_UNSUPPORTED",
      `pattern /${source.slice(0, 80)}/ cannot run in linear time: ${(err as Error).message} (backreferences and lookaround are not supported)`,
      { pattern: source.slice(0, 200) },
    );
  }
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, re);
  return re;
}

export interface SafeMatch {
  match: string;
  index: number;
  captures: Array<string | null>;
}

/** Every match (or the first) of `re` in `input`, charging the work budget for the text scanned. */
export function searchSafe(re: RE2JS, input: string, global: boolean): SafeMatch[] {
  charge(1 + (input.length >> 10));
  const m = re.matcher(input);
  const out: SafeMatch[] = [];
  let from = 0;
  while (from <= input.length && m.find(from)) {
    const captures: Array<string | null> = [];
    for (let i = 1; i <= m.groupCount(); i++) captures.push(m.group(i));
    const match = m.group(0) ?? "";
    out.push({ match, index: m.start(0), captures });
    if (!global) break;
    from = m.end(0) + (match.length === 0 ? 1 : 0);
  }
  return out;
}

/**
 * A RegExp whose `exec` runs on RE2. mingo (and RegExp.prototype.test, which calls `exec`) evaluate query patterns
 * through it, so every `$regex`, `$in: [/.../]` and `$all` uses linear-time matching.
 */
export class SafeRegExp extends RegExp {
  readonly #re: RE2JS;
  constructor(source: string, flags: string) {
    super(source, flags);
    this.#re = compileSafe(source, flags.replace(/[^ims]/g, ""));
  }
  override exec(input: string): RegExpExecArray | null {
    const text = String(input);
    const [m] = searchSafe(this.#re, text, false);
    if (!m) return null;
    return Object.assign([m.match, ...m.captures.map((c) => c ?? undefined)], {
      index: m.index,
      input: text,
    }) as unknown as RegExpExecArray;
  }
}

export function toSafe(re: RegExp): SafeRegExp {
  return re instanceof SafeRegExp ? re : new SafeRegExp(re.source, re.flags.replace(/[gyd]/g, ""));
}
