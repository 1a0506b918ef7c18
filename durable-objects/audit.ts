import type { AuditEntry } from "../worker/lib/records";
import { DurableObject } from "cloudflare:workers";

export interface AuditRecord extends AuditEntry {
  seq: number;
  at: string;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  since?: number;
  until?: number;
  /** Cursor: entries older than this sequence number. */
  before?: number;
  limit: number;
}

type Row = {
  seq: number;
  at: number;
  actor: string;
  client: string | null;
  user_agent: string | null;
  action: string;
  target: string | null;
  status: number;
  code: string | null;
  details: string | null;
};

/** One tenant's audit trail: append-only, newest first when read, pruned past its retention. */
export class AuditDO extends DurableObject<Env> {
  private sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS entries (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL, client TEXT, user_agent TEXT,
      action TEXT NOT NULL, target TEXT, status INTEGER NOT NULL, code TEXT, details TEXT)`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS entries_at ON entries (at)");
  }

  record(entry: AuditEntry, retentionDays: number): void {
    const now = Date.now();
    this.sql.exec(
      "INSERT INTO entries (at, actor, client, user_agent, action, target, status, code, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      now,
      entry.actor,
      entry.client,
      entry.userAgent,
      entry.action,
      entry.target,
      entry.status,
      entry.code,
      entry.details ? JSON.stringify(entry.details) : null,
    );
    this.sql.exec("DELETE FROM entries WHERE at < ?", now - retentionDays * 86_400_000);
  }

  query(q: AuditQuery): { entries: AuditRecord[]; nextBefore: number | null } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.actor) (where.push("actor = ?"), params.push(q.actor));
    if (q.action)
      (where.push("action LIKE ? ESCAPE '!'"), params.push(`${q.action.replace(/[!%_]/g, (m) => `!${m}`)}%`));
    if (q.since !== undefined) (where.push("at >= ?"), params.push(q.since));
    if (q.until !== undefined) (where.push("at < ?"), params.push(q.until));
    if (q.before !== undefined) (where.push("seq < ?"), params.push(q.before));
    const rows = this.sql
      .exec<Row>(
        `SELECT * FROM entries ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`,
        ...params,
        q.limit + 1,
      )
      .toArray();
    const page = rows.slice(0, q.limit);
    return {
      entries: page.map((r) => ({
        seq: r.seq,
        at: new Date(r.at).toISOString(),
        actor: r.actor,
        client: r.client,
        userAgent: r.user_agent,
        action: r.action,
        target: r.target,
        status: r.status,
        code: r.code,
        details: r.details ? JSON.parse(r.details) : null,
      })),
      nextBefore: rows.length > q.limit ? page[page.length - 1].seq : null,
    };
  }
}
