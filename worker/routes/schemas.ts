import { z } from "@hono/zod-openapi";

/**
 * OpenAPI shapes of the document API, so a client generated from /openapi.json is typed rather than `any`. Only
 * documentation: the document routes parse their inputs themselves (see `documented` in ./openapi.ts).
 */
export const DocumentSchema = z
  .object({
    _id: z
      .unknown()
      .optional()
      .openapi({ description: 'the document\'s key: an ObjectId ({"$oid"}), string, number…' }),
  })
  .catchall(z.unknown())
  .openapi("Document", { description: 'A document in relaxed EJSON (ObjectIds as {"$oid"}, dates as {"$date"})' });

export const DocumentList = z
  .object({
    documents: z.array(DocumentSchema),
    count: z.number().int(),
    nextCursor: z
      .string()
      .optional()
      .openapi({ description: "pass as `cursor` for the next page (also in the Link header)" }),
    total: z.number().int().optional().openapi({ description: "every match, when count=true" }),
    explain: z
      .object({
        strategy: z.string(),
        index: z.string().optional(),
        docsExamined: z.number().int(),
        nReturned: z.number().int(),
      })
      .optional(),
  })
  .openapi("DocumentList");

export const InsertResult = z
  .object({
    insertedId: z.unknown().optional(),
    insertedIds: z.array(z.unknown()).optional(),
    insertedCount: z.number().int().optional(),
  })
  .openapi("InsertResult");

export const UpdateResult = z
  .object({ matchedCount: z.number().int(), modifiedCount: z.number().int(), upsertedId: z.unknown().optional() })
  .openapi("UpdateResult");

export const DeleteResult = z.object({ deletedCount: z.number().int() }).openapi("DeleteResult");
export const CountResult = z.object({ count: z.number().int() }).openapi("CountResult");
export const AggregateResult = z
  .object({ documents: z.array(DocumentSchema), count: z.number().int() })
  .openapi("AggregateResult");

export const ManyUpdate = z
  .object({
    filter: z.record(z.string(), z.unknown()).optional(),
    update: z.union([z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown()))]),
    upsert: z.boolean().optional(),
    arrayFilters: z.array(z.record(z.string(), z.unknown())).optional(),
  })
  .openapi("ManyUpdate");

export const QueryBody = z
  .object({
    filter: z.record(z.string(), z.unknown()).optional(),
    sort: z.record(z.string(), z.unknown()).optional(),
    projection: z.record(z.string(), z.unknown()).optional(),
    limit: z.number().int().min(0).max(1000).optional(),
    skip: z.number().int().min(0).optional(),
    cursor: z.string().optional(),
    count: z.boolean().optional(),
    explain: z.boolean().optional(),
    maxTimeMS: z.number().int().min(1).max(10_000).optional(),
  })
  .openapi("QueryBody");

export const Pipeline = z
  .union([
    z.array(z.record(z.string(), z.unknown())),
    z.object({ pipeline: z.array(z.record(z.string(), z.unknown())), maxTimeMS: z.number().int().optional() }),
  ])
  .openapi("Pipeline");

const bool = z.enum(["true", "false"]);

/** The listing's query string: filter and shorthands (any `field=value` or `field[$op]=value` is a filter too). */
export const ListQuery = z
  .object({
    filter: z.string().optional().openapi({ description: 'EJSON filter, e.g. {"age":{"$gte":21}}' }),
    sort: z
      .string()
      .optional()
      .openapi({ description: '-age,name or a JSON sort document ({"score":{"$meta":"textScore"}} after $text)' }),
    fields: z.string().optional().openapi({ description: "name,email (include) or -password (exclude)" }),
    projection: z.string().optional().openapi({ description: "a JSON projection" }),
    limit: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .optional()
      .openapi({ description: "page size (default 20, at most 1000)" }),
    skip: z.number().int().min(0).optional(),
    cursor: z.string().optional().openapi({ description: "the previous page's nextCursor" }),
    count: bool.optional().openapi({ description: "also count every match" }),
    explain: bool.optional().openapi({ description: "report the plan: strategy, index, documents examined" }),
    maxTimeMS: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .openapi({ description: "the query's work budget in ms (default 2000)" }),
  })
  .catchall(z.string());

export const FilterQuery = ListQuery.pick({ filter: true })
  .extend({
    allowEmptyFilter: bool.optional().openapi({ description: "confirms an empty filter (every document)" }),
  })
  .catchall(z.string());

export const ifMatch = z
  .string()
  .optional()
  .openapi({ description: "the ETag the document must still have (412 otherwise)" });
export const etagHeader = { ETag: { description: "the document's version", schema: { type: "string" as const } } };
export const locationHeader = {
  Location: { description: "the new document's URL", schema: { type: "string" as const } },
};
export const linkHeader = {
  Link: { description: 'the next page: <url>; rel="next"', schema: { type: "string" as const } },
};
