import { stringify, type Doc } from "./ejson";
import type { ChangeEvent } from "./change-events";

/** Queue messages are capped at 128 KB; bigger events leave without their documents (said so in the docs). */
export const MAX_EVENT_BYTES = 120_000;
/** A sendBatch call carries at most 256 KB and 100 messages; this leaves headroom for the envelope. */
export const QUEUE_BATCH_BYTES = 200_000;
export const QUEUE_BATCH_COUNT = 100;

const encoder = new TextEncoder();

/** Queue and sandbox limits are in bytes, and a string's length counts UTF-16 units: an "é" is one unit, two bytes. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).byteLength;
}

/**
 * An event as it goes on the EVENTS queue (canonical EJSON). One over the limit leaves without its documents, marked
 * `truncated`, and `subject` keeps the document filters decide on (the document after the change, or before it for a
 * delete), so the backend can keep it for the consumer: filters must see the whole document, not only its key.
 */
export function encodeEvent(event: ChangeEvent): { id: string; body: string; subject?: string } {
  const body = stringify(event, true);
  if (utf8Bytes(body) <= MAX_EVENT_BYTES) return { id: event.id, body };
  const { fullDocument, updateDescription: _u, fullDocumentBeforeChange, ...rest } = event;
  const subject = (fullDocument ?? fullDocumentBeforeChange) as Doc | undefined;
  return {
    id: event.id,
    body: stringify({ ...rest, truncated: true }, true),
    subject: subject ? stringify(subject, true) : undefined,
  };
}

/** Splits message bodies into sendBatch calls by count and by bytes. */
export function queueBatches(bodies: string[]): string[][] {
  const out: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = utf8Bytes(body);
    if (batch.length > 0 && (batch.length >= QUEUE_BATCH_COUNT || bytes + size > QUEUE_BATCH_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(body);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

export async function sendEventBodies(queue: Queue, bodies: string[]): Promise<void> {
  for (const batch of queueBatches(bodies))
    await queue.sendBatch(batch.map((body) => ({ body, contentType: "text" as const })));
}
