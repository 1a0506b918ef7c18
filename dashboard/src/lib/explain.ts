/** The API's `explain` in words a user reads at a glance. */
export type Explain = {
  strategy?: string;
  index?: string | null;
  docsExamined?: number;
  nReturned?: number;
  [k: string]: unknown;
};

export function explainInWords(e: Explain | undefined, returned: number): string {
  if (!e) return "";
  const examined = e.docsExamined;
  const how =
    e.strategy === "index" || e.index
      ? `used index ${e.index ?? "(by _id)"}`
      : e.strategy === "id"
        ? "looked up by _id"
        : "scanned the collection (no index fits this filter)";
  const read = examined === undefined ? "" : `, examined ${examined} document${examined === 1 ? "" : "s"}`;
  return `${how[0].toUpperCase()}${how.slice(1)}${read}, returned ${e.nReturned ?? returned}.`;
}
