import { deliveryMessage } from "../queues/delivery-messages";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { buildEvent } from "../lib/change-events";
import { fromJson, parseEjson, stringify, toJson, type Doc } from "../lib/ejson";
import { AppError, badRequest } from "../lib/errors";
import { authorizeControl, authorizeWebhookCollection, mayAccessCollection } from "../lib/access";
import { checkOutboundUrl } from "../lib/ssrf";
import { CreateWebhook, UpdateWebhook, checkWebhookParts, newSecret, type WebhookConfig } from "../lib/webhook-config";
import { payloadFor, sendTo } from "../webhooks/deliver";
import { invalidateWebhooks, webhooksOf } from "../webhooks/webhook-cache";
import { registryOf, webhookStub } from "../stubs";
import { parseJsonText } from "../lib/body";
import { outboundPolicy, webhookSettings } from "../webhooks/settings";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const ok = (description: string, status: 200 | 201 | 202 = 200) => ({
  [status]: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
});
const Id = z.object({ id: z.string().openapi({ example: "wh_3f9a..." }) });
const MAX_OVERLAP_S = 7 * 86_400;
const RotateBody = z.object({ overlapSeconds: z.number().int().min(0).max(MAX_OVERLAP_S).optional() }).strict();

function scope(c: Context<AppEnv>) {
  const principal = c.get("principal");
  authorizeControl(principal, "webhooks", c.req.method === "GET" ? "read" : "write");
  return { tenant: principal.tenant, registry: registryOf(c.env, principal.tenant) };
}

/** A webhook of the caller's tenant, on a collection the caller may reach (else 404 or 403). */
async function webhookOf(c: Context<AppEnv>, id: string) {
  const { tenant, registry } = scope(c);
  const record = await registry.getWebhook(id);
  if (!record) throw notFound(id);
  authorizeWebhookCollection(c.get("principal"), record.collection);
  return { tenant, registry, record };
}

const notFound = (id: string) => new AppError(404, "WEBHOOK_NOT_FOUND", `no webhook ${id}`, { id });

/** Validated config ready to store: URL checked against the outbound rules, filter as canonical EJSON text. */
function normalize(
  c: Context<AppEnv>,
  input: Partial<Omit<WebhookConfig, "filter"> & { filter: Record<string, unknown> | null }>,
): Partial<WebhookConfig> {
  checkWebhookParts(input);
  if (input.url !== undefined) checkOutboundUrl(input.url, outboundPolicy(c.env, new URL(c.req.url).host));
  const { filter, ...rest } = input;
  return {
    ...rest,
    ...(filter !== undefined ? { filter: filter === null ? null : stringify(fromJson(filter, "filter"), true) } : {}),
  };
}

const view = <T extends { filter: string | null }>(record: T) => ({
  ...record,
  filter: record.filter ? toJson(parseEjson(record.filter, "filter")) : null,
});

app.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["Webhooks"],
    security: bearer,
    summary: "Register a webhook (the signing secret is shown once)",
    request: { body: { required: true, content: { "application/json": { schema: CreateWebhook } } } },
    responses: ok("Created", 201),
  }),
  async (c) => {
    const { tenant, registry } = scope(c);
    const config = normalize(c, c.req.valid("json")) as WebhookConfig;
    authorizeWebhookCollection(c.get("principal"), config.collection);
    const secret = newSecret();
    const record = await registry.createWebhook(
      `wh_${crypto.randomUUID().replaceAll("-", "")}`,
      { ...config, filter: config.filter ?? null },
      secret,
    );
    invalidateWebhooks(tenant);
    return c.json({ ...view(record), secret }, 201);
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Webhooks"],
    security: bearer,
    summary: "List webhooks",
    responses: ok("Webhooks"),
  }),
  async (c) => {
    const principal = c.get("principal");
    const hooks = await scope(c).registry.listWebhooks();
    const visible =
      principal.collections === null
        ? hooks
        : hooks.filter((h) => h.collection !== "*" && mayAccessCollection(principal, h.collection));
    return c.json({ webhooks: visible.map(view) });
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags: ["Webhooks"],
    security: bearer,
    summary: "Get a webhook",
    request: { params: Id },
    responses: ok("The webhook"),
  }),
  async (c) => {
    const { record } = await webhookOf(c, c.req.valid("param").id);
    return c.json(view(record));
  },
);

app.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    tags: ["Webhooks"],
    security: bearer,
    summary: "Change a webhook",
    request: { params: Id, body: { required: true, content: { "application/json": { schema: UpdateWebhook } } } },
    responses: ok("The webhook"),
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    const { tenant, registry } = await webhookOf(c, id);
    const change = normalize(c, c.req.valid("json"));
    if (change.collection !== undefined) authorizeWebhookCollection(c.get("principal"), change.collection);
    const record = await registry.updateWebhook(id, change);
    if (!record) throw notFound(id);
    invalidateWebhooks(tenant);
    return c.json(view(record));
  },
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags: ["Webhooks"],
    security: bearer,
    summary: "Delete a webhook",
    request: { params: Id },
    responses: ok("Deleted"),
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    const { tenant, registry } = await webhookOf(c, id);
    if (!(await registry.deleteWebhook(id))) throw notFound(id);
    invalidateWebhooks(tenant);
    return c.json({ deleted: true, id });
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/{id}/rotate-secret",
    tags: ["Webhooks"],
    security: bearer,
    summary:
      "Rotate the signing secret; old secrets keep signing alongside the new one for `overlapSeconds` (default 86400)",
    request: { params: Id, body: { required: false, content: { "application/json": { schema: RotateBody } } } },
    responses: ok("The new secret"),
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    const { tenant, registry } = await webhookOf(c, id);
    // The body is optional, so it is read here rather than by the route's validator (which needs a Content-Type).
    const text = await c.req.text();
    const parsed = RotateBody.safeParse(text.trim() ? parseJsonText(text, "body") : {});
    if (!parsed.success)
      throw badRequest("VALIDATION_FAILED", `overlapSeconds: must be an integer from 0 to ${MAX_OVERLAP_S}`, {
        field: "overlapSeconds",
      });
    const overlapSeconds = parsed.data.overlapSeconds ?? 86_400;
    const secret = newSecret();
    const record = await registry.rotateWebhookSecret(id, secret, overlapSeconds * 1000);
    if (!record) throw notFound(id);
    invalidateWebhooks(tenant);
    return c.json({
      id,
      secret,
      previousSecretsValidUntil: new Date(Date.now() + overlapSeconds * 1000).toISOString(),
    });
  },
);

/** The webhook's log and limiter, after checking the webhook exists in the caller's tenant. */
async function logOf(c: Context<AppEnv>, id: string) {
  const { tenant } = await webhookOf(c, id);
  return { tenant, stub: webhookStub(c.env, tenant, id) };
}

const STATUSES = ["pending", "retrying", "delivered", "failed", "skipped"] as const;

app.openapi(
  createRoute({
    method: "get",
    path: "/{id}/deliveries",
    tags: ["Webhooks"],
    security: bearer,
    summary: "Delivery log, newest first",
    request: {
      params: Id,
      query: z.object({
        status: z.enum(STATUSES).optional(),
        limit: z.coerce.number().int().min(1).max(200).optional(),
        cursor: z.string().regex(/^\d+$/).optional(),
      }),
    },
    responses: ok("Deliveries with their attempts"),
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    const { status, limit, cursor } = c.req.valid("query");
    const { stub } = await logOf(c, id);
    return c.json(await stub.deliveries(status, limit ?? 50, cursor ? Number(cursor) : undefined));
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/{id}/stats",
    tags: ["Webhooks"],
    security: bearer,
    summary: "Delivery statistics",
    request: { params: Id },
    responses: ok("Statistics"),
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    const { stub } = await logOf(c, id);
    return c.json({ id, ...(await stub.stats()) });
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/{id}/deliveries/{deliveryId}/replay",
    tags: ["Webhooks"],
    security: bearer,
    summary: "Send a logged delivery again: same webhook-id, fresh timestamp and signature",
    request: { params: Id.extend({ deliveryId: z.string() }) },
    responses: ok("Queued", 202),
  }),
  async (c) => {
    const { id, deliveryId } = c.req.valid("param");
    const { tenant, stub } = await logOf(c, id);
    const reopened = await stub.prepareReplay(deliveryId);
    if (!reopened)
      throw new AppError(404, "DELIVERY_NOT_FOUND", `no delivery ${deliveryId} in the log of webhook ${id}`, {
        deliveryId,
      });
    await c.env.DELIVERIES.send(
      deliveryMessage({
        deliveryId,
        webhookId: id,
        tenant,
        eventId: reopened.eventId,
        event: reopened.event,
        generation: reopened.generation,
      }),
    );
    return c.json({ queued: true, deliveryId, generation: reopened.generation }, 202);
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/{id}/test",
    tags: ["Webhooks"],
    security: bearer,
    summary: "Send a sample event now and return the result",
    request: { params: Id },
    responses: ok("The attempt's outcome"),
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    const { tenant } = await webhookOf(c, id);
    // The test send needs the signing secrets, which only the delivery path's (versioned) cache carries.
    const hook = (await webhooksOf(c.env, tenant)).items.find((h) => h.id === id);
    if (!hook) throw notFound(id);
    const sample: Doc = { _id: "sample", message: "Docflare webhook test", at: new Date() };
    const event = buildEvent(
      { tenant, database: "main" },
      hook.collection === "*" ? "sample" : hook.collection,
      "insert",
      sample._id,
      undefined,
      sample,
    );
    const eventText = stringify(event, true);
    const deliveryId = `msg_test_${crypto.randomUUID().replaceAll("-", "")}`;
    const stub = webhookStub(c.env, tenant, id);
    const settings = webhookSettings(c.env);
    const slot = await stub.acquire(deliveryId, 0, hook.rateLimitPerMinute, settings.windowMs, settings.timeoutMs);
    if ("go" in slot && !slot.go) {
      throw new AppError(429, "RATE_LIMITED", "the webhook's rate limit is used up; try again shortly", {
        retryAfterMs: slot.waitMs,
      });
    }
    const result = await sendTo(c.env, hook, deliveryId, payloadFor(hook, eventText));
    await stub.record(
      {
        deliveryId,
        eventId: event.id,
        event: eventText,
        generation: 0,
        attempt: 1,
        test: true,
        outcome: result.ok ? "delivered" : "failed",
        statusCode: result.statusCode,
        error: result.error,
        latencyMs: result.latencyMs,
      },
      "slot" in slot ? slot.slot : undefined,
    );
    return c.json({ deliveryId, ...result });
  },
);

export default app;
