/** What a receiver gets after excludeFields: the dotted paths removed from the document (as the server does). */
export function excludePaths(doc: Record<string, unknown>, paths: string[]): Record<string, unknown> {
  const copy = structuredClone(doc);
  for (const path of paths) {
    const parts = path.split(".");
    let cur: unknown = copy;
    for (const p of parts.slice(0, -1))
      cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[p] : undefined;
    if (cur && typeof cur === "object") delete (cur as Record<string, unknown>)[parts[parts.length - 1]];
  }
  return copy;
}
