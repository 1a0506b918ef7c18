import { log } from "../log";

const encoder = new TextEncoder();

/**
 * A response body pulled from an async generator one piece at a time, so a download holds one piece in memory.
 * Headers are sent by then: a failure can only end the stream early, which the client sees as a broken download.
 */
export function byteStream(chunks: AsyncGenerator<string | Uint8Array>, what: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else if (typeof next.value === "string") {
          if (next.value) controller.enqueue(encoder.encode(next.value));
        } else if (next.value.byteLength) controller.enqueue(next.value);
      } catch (err) {
        log("warn", "download.failed", { what, error: (err as Error).message });
        controller.error(err);
      }
    },
    cancel: () => void chunks.return(undefined),
  });
}
