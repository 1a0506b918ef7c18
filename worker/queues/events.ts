import type { ChangeEvent } from "../lib/change-events";
import { parseEjson, type Doc } from "../lib/ejson";
import { runKey } from "../lib/schedule";
import { filterOf, webhooksOf } from "../webhooks/webhook-cache";
import { scriptsOf, triggerFilterOf } from "../scripts/script-cache";
import { scriptSettings } from "../scripts/settings";
import { scriptStub } from "../stubs";
import { log } from "../log";
import { databaseStub } from "../store/embedded";
import { backendOf } from "../store";
import { sha256Hex } from "../lib/hash";
import { type DeliveryMessage, deliveryMessage } from "./delivery-messages";
import { type ScriptRunMessage, scriptRunMessage } from "./script-messages";

async function deliveryId(eventId: string, webhookId: string): Promise<string> {
  return `msg_${await sha256Hex(`${eventId}:${webhookId}`, 16)}`;
}

/** Deletes have no fullDocument; filters see the document as it was just before. */
const subjectOf = (event: ChangeEvent) =>
  (event.fullDocument ?? event.fullDocumentBeforeChange ?? event.documentKey) as Doc;

/**
 * A truncated event left its documents behind; filters still decide on the whole document, which the database's
 * DatabaseDO kept for it (`_spill`). Past retention, the key is all there is.
 */
async function withSubject(env: Env, event: ChangeEvent): Promise<ChangeEvent> {
  if (!event.truncated) return event;
  const subject = await databaseStub(env.DATABASE, event.tenant, event.database).spilled(event.id);
  return subject === null ? event : { ...event, fullDocument: parseEjson(subject, "event subject") as Doc };
}

/** Whether a webhook or trigger hears an event: its database ("*" or absent: any), collection and operation. */
const listens = (t: { database?: string; collection: string; events: string[] }, event: ChangeEvent) =>
  (t.database === undefined || t.database === "*" || t.database === event.database) &&
  (t.collection === "*" || t.collection === event.collection) &&
  t.events.includes(event.operationType);

/** The deliveries one event needs: enabled webhooks on its collection and event type whose filter matches. */
export async function deliveriesFor(env: Env, event: ChangeEvent, text: string): Promise<DeliveryMessage[]> {
  const entry = await webhooksOf(env, event.tenant);
  const out: DeliveryMessage[] = [];
  for (const hook of entry.items) {
    if (!hook.enabled || !listens(hook, event) || !filterOf(entry, hook)(subjectOf(event))) continue;
    out.push(
      deliveryMessage({
        deliveryId: await deliveryId(event.id, hook.id),
        webhookId: hook.id,
        tenant: event.tenant,
        eventId: event.id,
        event: text,
      }),
    );
  }
  return out;
}

/**
 * The runs one event triggers. An event that is itself the end of a chain of `maxChainDepth` script writes triggers
 * nothing more: the run is recorded as skipped instead, so a script reacting to its own writes stops there.
 */
export async function scriptRunsFor(env: Env, event: ChangeEvent, text: string): Promise<ScriptRunMessage[]> {
  const entry = await scriptsOf(env, event.tenant);
  const { maxChainDepth } = scriptSettings(env);
  const out: ScriptRunMessage[] = [];
  for (const script of entry.items) {
    const trigger = script.trigger;
    if (
      !script.enabled ||
      trigger.type !== "event" ||
      !listens({ ...trigger, database: script.database ?? "main" }, event) ||
      !triggerFilterOf(entry, script)(subjectOf(event))
    )
      continue;
    const key = runKey(script.id, event.id);
    if ((event.chainDepth ?? 0) >= maxChainDepth) {
      await scriptStub(env, event.tenant, script.id).finish(
        key,
        { trigger: "event", eventId: event.id, scheduledAt: null, attempt: 0 },
        {
          status: "skipped",
          durationMs: null,
          logs: [],
          error: {
            code: "SCRIPT_CHAIN_DEPTH",
            message: `event is ${event.chainDepth} script writes deep; SCRIPT_MAX_CHAIN_DEPTH is ${maxChainDepth}`,
          },
        },
      );
      log("warn", "script not triggered: chain depth bound reached", {
        tenant: event.tenant,
        scriptId: script.id,
        eventId: event.id,
      });
      continue;
    }
    out.push(
      scriptRunMessage({
        tenant: event.tenant,
        scriptId: script.id,
        runKey: key,
        trigger: "event",
        event: text,
        chainDepth: event.chainDepth ?? 0,
      }),
    );
  }
  return out;
}

async function sendAll<T>(queue: Queue<T>, bodies: T[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 100)
    await queue.sendBatch(bodies.slice(i, i + 100).map((body) => ({ body })));
}

/**
 * EVENTS consumer: fans each event out to DELIVERIES and SCRIPT_RUNS. Redelivery is harmless: keys are derived, not
 * drawn. Fanned-out events are confirmed to the embedded store's outbox, which sends again what is never confirmed.
 */
export async function consumeEvents(batch: MessageBatch<string>, env: Env): Promise<void> {
  const done = new Map<string, { tenant: string; database: string; ids: string[] }>();
  // Every event of the batch is fanned out at once, and their deliveries and runs go to their queues in batches of
  // 100 (one send per event would cost a queue round trip each); an event is acknowledged once its messages are sent.
  const fanned = await Promise.all(
    batch.messages.map(async (msg) => {
      try {
        const event = await withSubject(env, parseEjson(msg.body, "event") as ChangeEvent);
        const [deliveries, runs] = await Promise.all([
          deliveriesFor(env, event, msg.body),
          scriptRunsFor(env, event, msg.body),
        ]);
        return { msg, event, deliveries, runs };
      } catch (err) {
        log("error", "event fan-out failed; the queue will retry it", { error: String(err), messageId: msg.id });
        msg.retry({ delaySeconds: 5 });
        return null;
      }
    }),
  );
  const ready = fanned.filter((f) => f !== null);
  try {
    await sendAll(
      env.DELIVERIES,
      ready.flatMap((f) => f.deliveries),
    );
    await sendAll(
      env.SCRIPT_RUNS,
      ready.flatMap((f) => f.runs),
    );
  } catch (err) {
    // Some may have been sent: the retried events send them again under the same derived ids, which consumers skip.
    log("error", "event fan-out send failed; the queue will retry the batch", {
      error: String(err),
      events: ready.length,
    });
    for (const f of ready) f.msg.retry({ delaySeconds: 5 });
    return;
  }
  for (const { msg, event } of ready) {
    msg.ack();
    const key = `${event.tenant}/${event.database}`;
    const group = done.get(key) ?? { tenant: event.tenant, database: event.database, ids: [] };
    group.ids.push(event.id);
    done.set(key, group);
  }
  if (backendOf(env) !== "embedded") return;
  await Promise.all(
    [...done.values()].map((g) =>
      databaseStub(env.DATABASE, g.tenant, g.database)
        .confirmEvents(g.ids)
        .catch((err) =>
          log("warn", "event confirmation failed; the outbox will send them again", {
            error: String(err),
            tenant: g.tenant,
          }),
        ),
    ),
  );
}
