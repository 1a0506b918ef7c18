import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { DocumentSchema } from "../routes/schemas";

/**
 * The Data API v1 actions in the OpenAPI document, under both URL shapes clients use: Atlas's
 * /app/{appId}/endpoint/data/v1/action/{action} and the short /action/{action}.
 */
const obj = z.record(z.string(), z.unknown());
const Target = {
  dataSource: z.string().openapi({ example: "docflare" }),
  database: z.string().openapi({ example: "main" }),
  collection: z.string().openapi({ example: "orders" }),
};
const DataApiError = z
  .object({
    error: z.string(),
    error_code: z.string(),
    code: z.string().openapi({ description: "Docflare's stable code" }),
    details: z.unknown().optional(),
  })
  .openapi("DataApiError");

const UpdateCounts = z.object({
  matchedCount: z.number().int(),
  modifiedCount: z.number().int(),
  upsertedId: z.unknown().optional(),
});

const ACTIONS: Record<string, { summary: string; body: z.ZodObject; result: z.ZodType; status?: 200 | 201 }> = {
  findOne: {
    summary: "Find one document",
    body: z.object({ ...Target, filter: obj.optional(), projection: obj.optional() }),
    result: z.object({ document: DocumentSchema.nullable() }),
  },
  find: {
    summary: "Find documents",
    body: z.object({
      ...Target,
      filter: obj.optional(),
      projection: obj.optional(),
      sort: obj.optional(),
      limit: z.number().int().min(0).optional(),
      skip: z.number().int().min(0).optional(),
      maxTimeMS: z.number().int().optional(),
    }),
    result: z.object({ documents: z.array(DocumentSchema) }),
  },
  insertOne: {
    summary: "Insert one document",
    body: z.object({ ...Target, document: DocumentSchema }),
    result: z.object({ insertedId: z.unknown() }),
    status: 201,
  },
  insertMany: {
    summary: "Insert documents",
    body: z.object({ ...Target, documents: z.array(DocumentSchema) }),
    result: z.object({ insertedIds: z.array(z.unknown()) }),
    status: 201,
  },
  updateOne: {
    summary: "Update one document",
    body: z.object({
      ...Target,
      filter: obj,
      update: z.union([obj, z.array(obj)]),
      upsert: z.boolean().optional(),
      arrayFilters: z.array(obj).optional(),
    }),
    result: UpdateCounts,
  },
  updateMany: {
    summary: "Update documents",
    body: z.object({
      ...Target,
      filter: obj,
      update: z.union([obj, z.array(obj)]),
      upsert: z.boolean().optional(),
      arrayFilters: z.array(obj).optional(),
    }),
    result: UpdateCounts,
  },
  replaceOne: {
    summary: "Replace one document",
    body: z.object({ ...Target, filter: obj, replacement: DocumentSchema, upsert: z.boolean().optional() }),
    result: UpdateCounts,
  },
  deleteOne: {
    summary: "Delete one document",
    body: z.object({ ...Target, filter: obj }),
    result: z.object({ deletedCount: z.number().int() }),
  },
  deleteMany: {
    summary: "Delete documents",
    body: z.object({ ...Target, filter: obj }),
    result: z.object({ deletedCount: z.number().int() }),
  },
  aggregate: {
    summary: "Run a pipeline",
    body: z.object({ ...Target, pipeline: z.array(obj), maxTimeMS: z.number().int().optional() }),
    result: z.object({ documents: z.array(DocumentSchema) }),
  },
};

const SHAPES = [
  { prefix: "/action", id: "", appId: false },
  { prefix: "/app/{appId}/endpoint/data/v1/action", id: "Atlas", appId: true },
];

export function registerDataApiPaths(registry: OpenAPIHono["openAPIRegistry"]): void {
  registry.register("DataApiError", DataApiError);
  registry.registerComponent("securitySchemes", "dataApiKey", {
    type: "apiKey",
    in: "header",
    name: "apiKey",
    description: "An API key in the Data API's apiKey header",
  });
  for (const shape of SHAPES) {
    for (const [action, spec] of Object.entries(ACTIONS)) {
      registry.registerPath({
        method: "post",
        path: `${shape.prefix}/${action}`,
        operationId: `dataApi${shape.id}${action[0].toUpperCase()}${action.slice(1)}`,
        tags: ["Data API"],
        summary: `${spec.summary} (Data API v1)`,
        security: [{ bearerAuth: [] }, { dataApiKey: [] }],
        request: {
          ...(shape.appId
            ? {
                params: z.object({ appId: z.string().openapi({ description: "any app id (kept for Atlas clients)" }) }),
              }
            : {}),
          body: {
            required: true,
            content: { "application/json": { schema: spec.body }, "application/ejson": { schema: spec.body } },
          },
        },
        responses: {
          [spec.status ?? 200]: { description: spec.summary, content: { "application/json": { schema: spec.result } } },
          400: { description: "Invalid input", content: { "application/json": { schema: DataApiError } } },
          401: {
            description: "Missing or invalid credentials",
            content: { "application/json": { schema: DataApiError } },
          },
          403: { description: "Not allowed", content: { "application/json": { schema: DataApiError } } },
        },
      });
    }
  }
}
