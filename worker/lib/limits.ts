/** Every numeric limit the API enforces, in one place so the docs and the code cannot drift. */
export const LIMITS = {
  /** Serialized (relaxed EJSON) size of one stored document. SQLite rows cap at 2 MB; we keep headroom. */
  maxDocumentBytes: 1_048_576,
  /** Request body size for any route. */
  maxBodyBytes: 8 * 1_048_576,
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
} as const;
