const MAX_GENERATIONS = 10_000;

/**
 * Recent answers to reads, bounded by bytes and evicted least recently used first.
 *
 * It is only sound where one object is the sole writer of the data (a Durable Object and its SQLite): a write calls
 * `invalidate(collection)`, which bumps that collection's generation, and every answer computed before it is dead at
 * once, without a walk over the entries. Dead entries leave on lookup or through eviction.
 */
export class ReadCache<V> {
  private entries = new Map<string, { generation: number; bytes: number; value: V }>();
  private generations = new Map<string, number>();
  private used = 0;
  /** Answers served from the cache since the isolate started (observable, so tests can tell a hit from a re-read). */
  hits = 0;

  constructor(
    readonly maxBytes: number,
    /** An answer larger than this is never kept, so one huge page cannot flush everything else. */
    readonly maxEntryBytes = Math.floor(maxBytes / 16),
  ) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.used };
  }

  get(collection: string, key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.generation !== (this.generations.get(collection) ?? 0)) {
      this.used -= entry.bytes;
      return undefined;
    }
    this.entries.set(key, entry);
    this.hits++;
    return entry.value;
  }

  set(collection: string, key: string, value: V, bytes: number): void {
    if (!this.enabled || bytes > this.maxEntryBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.used -= old.bytes;
    }
    this.entries.set(key, { generation: this.generations.get(collection) ?? 0, bytes, value });
    this.used += bytes;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(oldestKey);
      this.used -= oldest.bytes;
    }
  }

  invalidate(collection: string): void {
    // Generations of long-gone owners would pile up; forgetting them is safe only together with every entry.
    if (this.generations.size >= MAX_GENERATIONS && !this.generations.has(collection)) {
      this.entries.clear();
      this.generations.clear();
      this.used = 0;
    }
    this.generations.set(collection, (this.generations.get(collection) ?? 0) + 1);
  }
}

/** Operators whose answer can change with no write in between (time, randomness), written as they appear in EJSON. */
const VOLATILE = ['"$expr"', '"$where"', '"$function"', '"$rand"', '"$sampleRate"', "$$"];

/** Whether a read, given as its EJSON text, always answers the same until the collection is written. */
export function cacheableRead(text: string): boolean {
  return !VOLATILE.some((marker) => text.includes(marker));
}
