import { log } from "../log";

/**
 * The SCRIPT_RUNS consumer's shape (DELIVERIES groups its batch by webhook instead): messages run concurrently, a body that is
 * not a message of this queue is logged and dropped (the dead-letter queue could not use it either), and a failed
 * step is retried by the queue.
 */
export async function consumeEach<T>(
  batch: MessageBatch<unknown>,
  what: string,
  accepts: (body: unknown) => body is T,
  run: (body: T) => Promise<void>,
  describe: (body: T) => Record<string, unknown>,
): Promise<void> {
  await Promise.all(
    batch.messages.map(async (msg) => {
      const body = msg.body;
      if (!accepts(body)) {
        log("error", `malformed ${what} message dropped`, { id: msg.id });
        msg.ack();
        return;
      }
      try {
        await run(body);
        msg.ack();
      } catch (err) {
        log("error", `${what} step failed; the queue will retry it`, { error: String(err), ...describe(body) });
        msg.retry({ delaySeconds: 2 });
      }
    }),
  );
}
