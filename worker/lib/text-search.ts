import { badRequest } from "./errors";
import { isPlainObject, type Doc } from "./ejson";

/**
 * MongoDB's `$text` on the embedded store, backed by SQLite FTS5: the query's `$search` string becomes an FTS5
 * MATCH expression (terms OR'd, every "quoted phrase" required, -terms excluded), `{$meta: "textScore"}` reads the
 * BM25 score (weighted per field, higher is better). Pure: the engine runs the SQL.
 */
export const TEXT_LANGUAGES = {
  english: "porter unicode61 remove_diacritics 2",
  none: "unicode61 remove_diacritics 2",
} as const;
export type TextLanguage = keyof typeof TEXT_LANGUAGES;
/** The synthetic field a text query's score travels in while sorting (no stored field can start with $). */
export const SCORE_FIELD = "$textScore";
const MAX_SEARCH_CHARS = 1000;
const MAX_TERMS = 64;

export interface TextQuery {
  search: string;
  language?: string;
  caseSensitive: boolean;
  diacriticSensitive: boolean;
}

export interface ParsedSearch {
  terms: string[];
  phrases: string[];
  negated: string[];
}

export interface TextIndexOptions {
  fields: string[];
  weights: number[];
  language: TextLanguage;
}

/** The text index's options from createIndex's keys ({field: "text"}, "$**" for every string) and options. */
export function textIndexOptions(
  keys: Record<string, unknown>,
  weights: Record<string, number> | undefined,
  language: string | undefined,
): TextIndexOptions {
  const fields = Object.entries(keys)
    .filter(([, v]) => v === "text")
    .map(([k]) => k);
  if (fields.length !== Object.keys(keys).length)
    throw badRequest("INVALID_INDEX", 'a text index names only text fields ({field: "text"})');
  const lang = (language ?? "english").toLowerCase();
  if (!(lang in TEXT_LANGUAGES))
    throw badRequest(
      "TEXT_LANGUAGE_UNSUPPORTED",
      `default_language must be one of ${Object.keys(TEXT_LANGUAGES).join(", ")}`,
      { language },
    );
  for (const [field, w] of Object.entries(weights ?? {})) {
    if (!fields.includes(field) && !fields.includes("$**"))
      throw badRequest("INVALID_INDEX", `weights names "${field}", which the index does not`, { field });
    if (!Number.isInteger(w) || w < 1 || w > 99_999)
      throw badRequest("INVALID_INDEX", `the weight of "${field}" must be an integer from 1 to 99999`, { field });
  }
  return { fields, weights: fields.map((f) => weights?.[f] ?? 1), language: lang as TextLanguage };
}

function textQuery(value: unknown): TextQuery {
  if (!isPlainObject(value))
    throw badRequest(
      "INVALID_TEXT_QUERY",
      "$text takes an object: {$search, $language, $caseSensitive, $diacriticSensitive}",
    );
  const v = value as Doc;
  for (const k of Object.keys(v)) {
    if (!["$search", "$language", "$caseSensitive", "$diacriticSensitive"].includes(k))
      throw badRequest("INVALID_TEXT_QUERY", `$text does not take ${k}`);
  }
  if (typeof v.$search !== "string") throw badRequest("INVALID_TEXT_QUERY", "$text needs $search, a string");
  if (v.$search.length > MAX_SEARCH_CHARS)
    throw badRequest("INVALID_TEXT_QUERY", `$search is longer than ${MAX_SEARCH_CHARS} characters`);
  if (v.$language !== undefined && typeof v.$language !== "string")
    throw badRequest("INVALID_TEXT_QUERY", "$language is a string");
  for (const k of ["$caseSensitive", "$diacriticSensitive"]) {
    if (v[k] !== undefined && typeof v[k] !== "boolean")
      throw badRequest("INVALID_TEXT_QUERY", `${k} is true or false`);
  }
  return {
    search: v.$search,
    language: v.$language as string | undefined,
    caseSensitive: v.$caseSensitive === true,
    diacriticSensitive: v.$diacriticSensitive === true,
  };
}

/** Whether `$text` appears anywhere below the top level (MongoDB allows it only there, or in a top-level $and). */
function nestedText(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(nestedText);
  if (!isPlainObject(value)) return false;
  return Object.entries(value as Doc).some(([k, v]) => k === "$text" || nestedText(v));
}

/** Splits a filter into its `$text` query and the rest, which the matcher checks as usual. */
export function extractText(filter: Doc): { text: TextQuery | null; rest: Doc } {
  let text: TextQuery | null = null;
  const rest: Doc = {};
  for (const [k, v] of Object.entries(filter)) {
    if (k === "$text") text = textQuery(v);
    else if (k === "$and" && Array.isArray(v)) {
      const kept: unknown[] = [];
      for (const clause of v) {
        if (isPlainObject(clause) && "$text" in (clause as Doc)) {
          if (text) throw badRequest("INVALID_TEXT_QUERY", "a query has at most one $text");
          const { text: inner, rest: others } = extractText(clause as Doc);
          text = inner;
          if (Object.keys(others).length) kept.push(others);
        } else {
          if (nestedText(clause))
            throw badRequest(
              "TEXT_NOT_TOP_LEVEL",
              "$text must be at the top level of the filter (or in a top-level $and)",
            );
          kept.push(clause);
        }
      }
      if (kept.length) rest.$and = kept;
    } else {
      if (nestedText(v))
        throw badRequest("TEXT_NOT_TOP_LEVEL", "$text must be at the top level of the filter (or in a top-level $and)");
      rest[k] = v;
    }
  }
  return { text, rest };
}

/** Words as FTS5's unicode61 tokenizer cuts them: letters and digits; everything else separates. */
const words = (text: string) => text.split(/[^\p{L}\p{N}\p{M}_]+/u).filter(Boolean);

/** MongoDB's $search syntax: "quoted phrases", -negated terms, other terms. */
export function parseSearch(search: string): ParsedSearch {
  const phrases: string[] = [];
  const rest = search.replace(/"([^"]*)"/g, (_, p: string) => {
    if (words(p).length) phrases.push(words(p).join(" "));
    return " ";
  });
  const terms: string[] = [];
  const negated: string[] = [];
  for (const token of rest.split(/\s+/).filter(Boolean)) {
    const list = token.startsWith("-") ? negated : terms;
    list.push(...words(token));
  }
  if (terms.length + phrases.length + negated.length > MAX_TERMS)
    throw badRequest("INVALID_TEXT_QUERY", `$search has more than ${MAX_TERMS} terms`);
  return { terms: [...new Set(terms)], phrases, negated: [...new Set(negated)] };
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * The FTS5 MATCH expression, or null when nothing can match (no positive term or phrase). With phrases, every
 * phrase is required and the other terms only join the score, as in MongoDB.
 */
export function ftsQuery(parsed: ParsedSearch): string | null {
  let positive: string;
  if (parsed.phrases.length) positive = parsed.phrases.map(quote).join(" AND ");
  else if (parsed.terms.length) positive = parsed.terms.map(quote).join(" OR ");
  else return null;
  const negative = parsed.negated.map((n) => ` NOT ${quote(n)}`).join("");
  return `(${positive})${negative}`;
}

function strings(value: unknown, out: string[]): void {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (isPlainObject(value)) Object.values(value as Doc).forEach((v) => strings(v, out));
}

function valuesAt(doc: unknown, path: string[]): unknown[] {
  if (path.length === 0) return [doc];
  if (Array.isArray(doc)) return doc.flatMap((d) => valuesAt(d, path));
  if (!isPlainObject(doc)) return [];
  return valuesAt((doc as Doc)[path[0]], path.slice(1));
}

/** Each indexed field's text in a document ("$**": every string in it), as FTS5 column values. */
export function indexedText(doc: Doc, fields: string[]): string[] {
  return fields.map((f) => {
    const out: string[] = [];
    if (f === "$**") strings(doc, out);
    else for (const v of valuesAt(doc, f.split("."))) strings(v, out);
    return out.join("\n");
  });
}

/**
 * FTS5 folds case and diacritics; $caseSensitive and $diacriticSensitive are checked after it, on the indexed text:
 * some term (or, with phrases, every phrase) must appear as written.
 */
export function exactMatch(parsed: ParsedSearch, text: string[], q: TextQuery): boolean {
  if (!q.caseSensitive && !q.diacriticSensitive) return true;
  const fold = (s: string) => {
    let t = q.caseSensitive ? s : s.toLowerCase();
    if (!q.diacriticSensitive) t = t.normalize("NFD").replace(/\p{M}/gu, "");
    return t;
  };
  const haystack = fold(text.join("\n"));
  const has = (needle: string) =>
    new RegExp(
      `(^|[^\\p{L}\\p{N}])${fold(needle)
        .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
        .replace(/ /g, "[^\\p{L}\\p{N}]+")}`,
      "u",
    ).test(haystack);
  return parsed.phrases.length ? parsed.phrases.every(has) : parsed.terms.some(has);
}

/** Fields of a projection or sort that ask for the text score. */
export function metaFields(spec: Doc | undefined): string[] {
  if (!spec) return [];
  return Object.entries(spec)
    .filter(([, v]) => isPlainObject(v) && (v as Doc).$meta !== undefined)
    .map(([k, v]) => {
      if ((v as Doc).$meta !== "textScore")
        throw badRequest(
          "INVALID_PROJECTION",
          `$meta "${String((v as Doc).$meta)}" is not supported; use "textScore"`,
          { field: k },
        );
      return k;
    });
}
