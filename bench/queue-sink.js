// Stands in for the queue broker behind the EVENTS binding: accepts every send so DatabaseDO's outbox flush runs
// as in production, without a consumer (the bench measures the write path, not delivery).
export default {
  async fetch(request) {
    await request.arrayBuffer();
    return Response.json({ metadata: { metrics: { backlogCount: 0, backlogBytes: 0, oldestMessageTimestamp: 0 } } });
  },
};
