import type { ChangeEvent } from "../lib/change-events";
import { encodeEvent, sendEventBodies } from "../lib/event-wire";
import { databaseStub } from "../store/embedded";

/**
 * Publishes change events of a backend without an outbox (the data-api upstream) to the EVENTS queue, encoded as the
 * embedded store's outbox encodes them: an event over the message limit leaves truncated, its subject document kept
 * in the tenant database's DatabaseDO for the consumer's filters, as the embedded store keeps it.
 */
export async function publishEvents(env: Env, tenant: string, database: string, events: ChangeEvent[]): Promise<void> {
  const wire = events.map(encodeEvent);
  const spills = wire.filter((w) => w.subject !== undefined);
  if (spills.length > 0) {
    const stub = databaseStub(env.DATABASE, tenant, database);
    for (const w of spills) await stub.spill(w.id, w.subject!);
  }
  await sendEventBodies(
    env.EVENTS,
    wire.map((w) => w.body),
  );
}
