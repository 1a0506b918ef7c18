import type { FindResult } from "../store/types";

/** A page of documents as one relaxed-EJSON array text, so stored documents travel to the client without a parse. */
export interface TextPage {
  json: string;
  count: number;
  nextCursor?: string;
  total?: number;
  explain?: FindResult["explain"];
}

/** One string for RPC: the small fields as JSON, a newline (JSON text never holds a raw one), then the documents. */
export function encodePage(page: TextPage): string {
  const { json, ...rest } = page;
  return `${JSON.stringify(rest)}\n${json}`;
}

export function decodePage(text: string): TextPage {
  const split = text.indexOf("\n");
  return { ...(JSON.parse(text.slice(0, split)) as Omit<TextPage, "json">), json: text.slice(split + 1) };
}
