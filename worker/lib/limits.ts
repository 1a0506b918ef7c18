/** Every numeric limit the API enforces, in one place so the docs and the code cannot drift. */
export const LIMITS = {
  /** Serialized (relaxed EJSON) size of one stored document. SQLite rows cap at 2 MB; we keep headroom. */
  maxDocumentBytes: 1_048_576,
  /** Request body size for the document and Data API routes. */
  maxBodyBytes: 8 * 1_048_576,
  /** Request body size for the control plane (keys, webhooks, scripts, locks, management): refused before parsing. */
  maxControlBodyBytes: 1_048_576,
  /** A webhook's or script trigger's filter, as canonical EJSON text. */
  maxFilterBytes: 16_384,
  maxFilterDepth: 20,
  maxFilterKeys: 1_000,
  maxInItems: 1_000,
  maxRegexLength: 512,
  maxPipelineStages: 50,
  /** REST list pages. */
  defaultPageSize: 20,
  maxPageSize: 1_000,
  /** Data API `find` limit, as the protocol allowed. */
  maxDataApiFindLimit: 50_000,
  maxInsertMany: 10_000,
  maxCollectionNameLength: 120,
  maxIndexesPerCollection: 32,
  /** Nesting depth of a stored document, on every write path (inserts, updates, replacements, merge patches). */
  maxDocumentDepth: 100,
  /** Nested pipelines ($facet, $lookup.pipeline, $unionWith.pipeline) inside one another. */
  maxPipelineDepth: 8,
  /** A query's or pipeline's budget when the client sets no maxTimeMS, and the ceiling a client may ask for. */
  defaultMaxTimeMs: 2_000,
  maxMaxTimeMs: 10_000,
  /**
   * Work units (documents read, operators evaluated, KiB scanned by a pattern) allowed per millisecond of budget.
   * Measured: a $lookup self-join on this machine does about 5,800 per ms; the figure leaves 2.5x headroom for
   * faster machines, so on Cloudflare (where the clock stands still during CPU work) the units end a query.
   */
  workUnitsPerMs: 15_000,
  /** Strings and arrays an expression may build, so `$range` or a doubling `$concat` cannot exhaust memory. */
  maxExpressionStringLength: 16 * 1_048_576,
  maxExpressionArrayLength: 1_000_000,
} as const;
