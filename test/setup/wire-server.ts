import { createServer, type Server, type Socket } from "node:net";
import { BSON, Long, ObjectId, type Document } from "bson";
import {
  applyUpdate,
  compareValues,
  matcher,
  project,
  runPipeline,
  sortKeys,
  sortValues,
  upsertSeed,
} from "../../worker/lib/doc-ops";
import { validateSchema } from "./wire-schema";

/**
 * A MongoDB-wire-compatible server for tests, on 127.0.0.1: enough of the protocol for the official driver to connect
 * and run Docflare's operations. It speaks OP_MSG (and OP_QUERY for a legacy handshake), claims to be a one-member
 * replica set's primary (so the driver uses sessions and retryable writes), keeps data in memory, and evaluates
 * queries, updates and pipelines with mingo through Docflare's own doc-ops. What it does not have: authentication,
 * transactions, change streams, real concurrency control, or MongoDB's error texts beyond their codes.
 */

type Coll = {
  docs: Document[];
  indexes: Array<{ name: string; key: Document; unique?: boolean }>;
  validator?: Document;
};
type Cursor = { ns: string; docs: Document[] };

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly extra: Document = {},
  ) {
    super(message);
  }
}

export interface WireServer {
  url: string;
  port: number;
  /** Every command the server received, in order (the `$db`, `lsid` and handshake noise stripped). */
  commands: Document[];
  /** Closes every open connection, as a failover or a network cut does; the server keeps listening. */
  dropConnections(): void;
  /** The next `count` commands named `command` fail with this error code (a transient server fault). */
  failNext(command: string, code: number, count?: number): void;
  /** Delays every answer by `ms` (to drive timeouts). */
  delay(ms: number): void;
  close(): Promise<void>;
}

export async function startWireServer(): Promise<WireServer> {
  const dbs = new Map<string, Map<string, Coll>>();
  const cursors = new Map<string, Cursor>();
  const sockets = new Set<Socket>();
  const commands: Document[] = [];
  const retried = new Map<string, Document>();
  const faults: Array<{ command: string; code: number; left: number }> = [];
  let delayMs = 0;
  let nextCursor = 1n;
  let connections = 0;

  const db = (name: string) => dbs.get(name) ?? dbs.set(name, new Map()).get(name)!;
  const coll = (dbName: string, name: string, create = true): Coll | undefined => {
    const d = db(dbName);
    if (!d.has(name) && create) d.set(name, { docs: [], indexes: [{ name: "_id_", key: { _id: 1 }, unique: true }] });
    return d.get(name);
  };

  function cursorOf(ns: string, docs: Document[], batchSize: number | undefined, first: boolean): Document {
    const size = batchSize ?? (first ? 101 : Number.MAX_SAFE_INTEGER);
    const batch = docs.slice(0, size);
    let id = 0n;
    if (docs.length > size) {
      id = nextCursor++;
      cursors.set(String(id), { ns, docs: docs.slice(size) });
    }
    return { cursor: { id: Long.fromBigInt(id), ns, [first ? "firstBatch" : "nextBatch"]: batch }, ok: 1 };
  }

  function keyOf(doc: Document, key: Document): string {
    const fields = Object.keys(key).map((f) => [f, 1] as [string, 1]);
    return Buffer.from(BSON.serialize({ k: sortValues(doc, fields) })).toString("base64");
  }

  /** Unique indexes are checked against every other document, as a fresh insert or an update would be. */
  function checkUnique(c: Coll, ns: string, doc: Document, except?: Document) {
    for (const index of c.indexes.filter((i) => i.unique)) {
      const k = keyOf(doc, index.key);
      if (c.docs.some((d) => d !== except && keyOf(d, index.key) === k)) {
        const keyValue = Object.fromEntries(Object.keys(index.key).map((f) => [f, doc[f]]));
        throw new CommandError(
          11000,
          "DuplicateKey",
          `E11000 duplicate key error collection: ${ns} index: ${index.name} dup key: ${JSON.stringify(keyValue)}`,
          { keyPattern: index.key, keyValue },
        );
      }
    }
  }

  function checkValid(c: Coll, doc: Document) {
    if (!c.validator) return;
    const { $jsonSchema, ...query } = c.validator;
    const rules = $jsonSchema ? validateSchema($jsonSchema as Document, doc) : [];
    const queryFails = Object.keys(query).length > 0 && !matcher(query)(doc);
    if (rules.length || queryFails) {
      const details = rules.length
        ? { operatorName: "$jsonSchema", schemaRulesNotSatisfied: rules }
        : { operatorName: "$and", clausesNotSatisfied: [] };
      throw new CommandError(121, "DocumentValidationFailure", "Document failed validation", {
        errInfo: { failingDocumentId: doc._id, details },
      });
    }
  }

  function find(
    c: Coll | undefined,
    filter: Document,
    sort?: Document,
    skip = 0,
    limit = 0,
    projection?: Document,
  ): Document[] {
    // A lookup by a plain _id skips mingo (the bench reads by id; the result is the same).
    const byId = filter && Object.keys(filter).length === 1 && ["string", "number"].includes(typeof filter._id);
    let docs = byId
      ? (c?.docs ?? []).filter((d) => d._id === filter._id)
      : (c?.docs ?? []).filter(matcher(filter ?? {}));
    if (sort && Object.keys(sort).length) {
      const keys = sortKeys(sort as Record<string, 1 | -1>);
      docs = docs
        .map((d) => ({ d, v: sortValues(d, keys) }))
        .sort((a, b) => compareValues(a.v, b.v, keys))
        .map((e) => e.d);
    }
    docs = docs.slice(skip, limit ? skip + Math.abs(limit) : undefined);
    return project(docs, projection);
  }

  function write(
    dbName: string,
    name: string,
    cmd: Document,
    apply: (c: Coll, op: Document, i: number) => Document | void,
  ): Document {
    const c = coll(dbName, name)!;
    const ops = (cmd.documents ?? cmd.updates ?? cmd.deletes) as Document[];
    const writeErrors: Document[] = [];
    const result: Document = { n: 0 };
    for (const [i, op] of ops.entries()) {
      try {
        const part = apply(c, op, i) ?? {};
        for (const [k, v] of Object.entries(part))
          result[k] = Array.isArray(v)
            ? [...((result[k] as unknown[]) ?? []), ...v]
            : ((result[k] as number) ?? 0) + (v as number);
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
        writeErrors.push({ index: i, code: err.code, errmsg: err.message, ...err.extra });
        if (cmd.ordered !== false) break;
      }
    }
    return { ...result, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  function updateDocs(c: Coll, ns: string, op: Document, i: number): Document {
    const matches = c.docs.filter(matcher(op.q ?? {}));
    const targets = op.multi ? matches : matches.slice(0, 1);
    const replacing = !Array.isArray(op.u) && !Object.keys(op.u).some((k) => k.startsWith("$"));
    if (targets.length === 0 && op.upsert) {
      const seed = upsertSeed(op.q ?? {});
      const doc = replacing
        ? { ...(seed._id !== undefined ? { _id: seed._id } : {}), ...op.u }
        : applyUpdate(seed, op.u, op.arrayFilters, true).doc;
      const inserted = { _id: doc._id ?? new ObjectId(), ...doc };
      checkUnique(c, ns, inserted);
      checkValid(c, inserted);
      c.docs.push(inserted);
      return { n: 1, nModified: 0, upserted: [{ index: i, _id: inserted._id }] };
    }
    let modified = 0;
    for (const before of targets) {
      const after = replacing ? { _id: before._id, ...op.u } : applyUpdate(before, op.u, op.arrayFilters, false).doc;
      checkUnique(c, ns, after, before);
      checkValid(c, after);
      if (Buffer.from(BSON.serialize(after)).equals(BSON.serialize(before))) continue;
      c.docs[c.docs.indexOf(before)] = after;
      modified++;
    }
    return { n: targets.length, nModified: modified };
  }

  const handlers: Record<string, (cmd: Document, dbName: string) => Document> = {
    hello: () => hello(),
    ismaster: () => hello(),
    isMaster: () => hello(),
    ping: () => ({ ok: 1 }),
    buildInfo: () => ({ version: "7.0.0", versionArray: [7, 0, 0, 0], maxBsonObjectSize: 16 * 1024 * 1024, ok: 1 }),
    endSessions: () => ({ ok: 1 }),
    listDatabases: () => ({ databases: [...dbs.keys()].map((name) => ({ name, sizeOnDisk: 0, empty: false })), ok: 1 }),
    dropDatabase: (_cmd, dbName) => (dbs.delete(dbName), { ok: 1 }),
    create: (cmd, dbName) => {
      if (db(dbName).has(cmd.create))
        throw new CommandError(48, "NamespaceExists", `Collection ${dbName}.${cmd.create} already exists.`);
      coll(dbName, cmd.create)!.validator = cmd.validator;
      return { ok: 1 };
    },
    collMod: (cmd, dbName) => {
      const c = coll(dbName, cmd.collMod, false);
      if (!c) throw new CommandError(26, "NamespaceNotFound", `ns does not exist: ${dbName}.${cmd.collMod}`);
      if ("validator" in cmd) c.validator = Object.keys(cmd.validator ?? {}).length ? cmd.validator : undefined;
      return { ok: 1 };
    },
    drop: (cmd, dbName) => {
      if (!db(dbName).delete(cmd.drop)) throw new CommandError(26, "NamespaceNotFound", "ns not found");
      return { ok: 1 };
    },
    listCollections: (cmd, dbName) => {
      const all = [...db(dbName).entries()].map(([name, c]) => ({
        name,
        type: "collection",
        options: c.validator ? { validator: c.validator } : {},
        info: { readOnly: false },
      }));
      return cursorOf(
        `${dbName}.$cmd.listCollections`,
        all.filter(matcher(cmd.filter ?? {})),
        cmd.cursor?.batchSize,
        true,
      );
    },
    collStats: (cmd, dbName) => {
      const c = coll(dbName, cmd.collStats, false);
      if (!c) throw new CommandError(26, "NamespaceNotFound", `ns not found`);
      return {
        ns: `${dbName}.${cmd.collStats}`,
        count: c.docs.length,
        size: c.docs.reduce((n, d) => n + BSON.calculateObjectSize(d), 0),
        nindexes: c.indexes.length,
        ok: 1,
      };
    },
    createIndexes: (cmd, dbName) => {
      const c = coll(dbName, cmd.createIndexes)!;
      const before = c.indexes.length;
      for (const spec of cmd.indexes as Document[]) {
        const existing = c.indexes.find((i) => i.name === spec.name);
        if (existing) continue;
        if (spec.unique) {
          const seen = new Set<string>();
          for (const d of c.docs) {
            const k = keyOf(d, spec.key);
            if (seen.has(k))
              throw new CommandError(
                11000,
                "DuplicateKey",
                `E11000 duplicate key error collection: ${dbName}.${cmd.createIndexes} index: ${spec.name}`,
                { keyPattern: spec.key },
              );
            seen.add(k);
          }
        }
        c.indexes.push({
          name: spec.name,
          key: spec.key,
          ...(spec.unique ? { unique: true } : {}),
          ...(spec.weights ? { weights: spec.weights } : {}),
          ...(spec.default_language ? { default_language: spec.default_language } : {}),
        });
      }
      return {
        numIndexesBefore: before,
        numIndexesAfter: c.indexes.length,
        createdCollectionAutomatically: false,
        ok: 1,
      };
    },
    listIndexes: (cmd, dbName) => {
      const c = coll(dbName, cmd.listIndexes, false);
      if (!c) throw new CommandError(26, "NamespaceNotFound", `ns does not exist: ${dbName}.${cmd.listIndexes}`);
      // As MongoDB lists them: the _id index carries no `unique` flag.
      const listed = c.indexes.map(({ unique, ...i }) => ({
        v: 2,
        ...i,
        ...(unique && i.name !== "_id_" ? { unique } : {}),
      }));
      return cursorOf(`${dbName}.${cmd.listIndexes}`, listed, cmd.cursor?.batchSize, true);
    },
    dropIndexes: (cmd, dbName) => {
      const c = coll(dbName, cmd.dropIndexes, false);
      const at = c ? c.indexes.findIndex((i) => i.name === cmd.index) : -1;
      if (!c || at <= 0) throw new CommandError(27, "IndexNotFound", `index not found with name [${cmd.index}]`);
      c.indexes.splice(at, 1);
      return { ok: 1 };
    },
    find: (cmd, dbName) => {
      const docs = find(coll(dbName, cmd.find, false), cmd.filter, cmd.sort, cmd.skip, cmd.limit, cmd.projection);
      return cursorOf(`${dbName}.${cmd.find}`, docs, cmd.singleBatch ? docs.length : cmd.batchSize, true);
    },
    getMore: (cmd) => {
      const key = String(Long.isLong(cmd.getMore) ? cmd.getMore.toBigInt() : cmd.getMore);
      const cursor = cursors.get(key);
      if (!cursor) throw new CommandError(43, "CursorNotFound", `cursor id ${key} not found`);
      cursors.delete(key);
      return cursorOf(cursor.ns, cursor.docs, cmd.batchSize, false);
    },
    killCursors: (cmd) => {
      for (const id of cmd.cursors as Long[]) cursors.delete(String(id.toBigInt()));
      return { cursorsKilled: cmd.cursors, ok: 1 };
    },
    count: (cmd, dbName) => ({ n: find(coll(dbName, cmd.count, false), cmd.query ?? {}).length, ok: 1 }),
    aggregate: (cmd, dbName) => {
      let input = coll(dbName, cmd.aggregate, false)?.docs ?? [];
      let pipeline = cmd.pipeline as Document[];
      // A leading $sample picks distinct documents, as MongoDB does (mingo's draws with replacement).
      if (pipeline[0]?.$sample) {
        input = [...input].sort(() => Math.random() - 0.5).slice(0, pipeline[0].$sample.size);
        pipeline = pipeline.slice(1);
      }
      const docs = runPipeline(input, pipeline, (name) => coll(dbName, name, false)?.docs ?? []);
      return cursorOf(`${dbName}.${cmd.aggregate}`, docs, cmd.cursor?.batchSize, true);
    },
    insert: (cmd, dbName) =>
      write(dbName, cmd.insert, cmd, (c, doc) => {
        const stored = { _id: doc._id ?? new ObjectId(), ...doc };
        checkUnique(c, `${dbName}.${cmd.insert}`, stored);
        checkValid(c, stored);
        c.docs.push(stored);
        return { n: 1 };
      }),
    update: (cmd, dbName) =>
      write(dbName, cmd.update, cmd, (c, op, i) => updateDocs(c, `${dbName}.${cmd.update}`, op, i)),
    delete: (cmd, dbName) =>
      write(dbName, cmd.delete, cmd, (c, op) => {
        const matches = c.docs.filter(matcher(op.q ?? {}));
        const gone = new Set(op.limit === 1 ? matches.slice(0, 1) : matches);
        c.docs = c.docs.filter((d) => !gone.has(d));
        return { n: gone.size };
      }),
  };

  function hello(): Document {
    return {
      helloOk: true,
      isWritablePrimary: true,
      ismaster: true,
      setName: "rs0",
      setVersion: 1,
      hosts: [`127.0.0.1:${port}`],
      primary: `127.0.0.1:${port}`,
      me: `127.0.0.1:${port}`,
      electionId: new ObjectId("7fffffff0000000000000001"),
      topologyVersion: { processId: new ObjectId(), counter: Long.fromNumber(0) },
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: ++connections,
      minWireVersion: 0,
      maxWireVersion: 21,
      readOnly: false,
      ok: 1,
    };
  }

  function run(body: Document): Document {
    const name = Object.keys(body)[0];
    const { $db, lsid, txnNumber, $clusterTime, $readPreference, ...cmd } = body;
    if (!/^(hello|ismaster|isMaster|endSessions)$/.test(name)) commands.push(cmd);
    const fault = faults.find((f) => f.command === name && f.left > 0);
    if (fault) {
      fault.left--;
      return {
        ok: 0,
        code: fault.code,
        codeName: "InjectedFault",
        errmsg: `injected fault ${fault.code}`,
        ...(fault.code === 91 || fault.code === 189 ? { errorLabels: ["RetryableWriteError"] } : {}),
      };
    }
    // A retried write (same session and transaction number) answers what the first attempt did, applying nothing twice.
    const retryKey =
      txnNumber !== undefined && lsid
        ? `${Buffer.from(BSON.serialize(lsid)).toString("base64")}:${txnNumber}`
        : undefined;
    if (retryKey && retried.has(retryKey)) return retried.get(retryKey)!;
    const handler = handlers[name];
    let reply: Document;
    try {
      if (!handler) throw new CommandError(59, "CommandNotFound", `no such command: '${name}'`);
      reply = handler(cmd, String($db ?? "admin"));
    } catch (err) {
      if (err instanceof CommandError)
        reply = { ok: 0, code: err.code, codeName: err.codeName, errmsg: err.message, ...err.extra };
      else reply = { ok: 0, code: 2, codeName: "BadValue", errmsg: (err as Error).message };
    }
    if (retryKey) retried.set(retryKey, reply);
    return reply;
  }

  function frame(requestId: number, responseTo: number, opCode: number, payload: Buffer): Buffer {
    const header = Buffer.alloc(16);
    header.writeInt32LE(16 + payload.length, 0);
    header.writeInt32LE(requestId, 4);
    header.writeInt32LE(responseTo, 8);
    header.writeInt32LE(opCode, 12);
    return Buffer.concat([header, payload]);
  }

  /** Parses one request; returns the reply frame, or null for a message that asks for none (moreToCome). */
  function answer(message: Buffer, requestId: number): Buffer | null {
    const opCode = message.readInt32LE(12);
    if (opCode === OP_QUERY) {
      let at = 20;
      while (message[at] !== 0) at++;
      at += 9;
      const query = BSON.deserialize(message.subarray(at, at + message.readInt32LE(at)), { promoteLongs: false });
      const reply = run(query.$query ?? query);
      const doc = Buffer.from(BSON.serialize(reply));
      const head = Buffer.alloc(20);
      head.writeInt32LE(8, 0);
      head.writeInt32LE(1, 16);
      return frame(requestId, message.readInt32LE(4), OP_REPLY, Buffer.concat([head, doc]));
    }
    if (opCode !== OP_MSG) throw new Error(`unsupported opCode ${opCode}`);
    const flags = message.readUInt32LE(16);
    const end = flags & 1 ? message.length - 4 : message.length;
    let at = 20;
    let body: Document = {};
    while (at < end) {
      const kind = message[at++];
      const size = message.readInt32LE(at);
      if (kind === 0) body = { ...body, ...BSON.deserialize(message.subarray(at, at + size), { promoteLongs: false }) };
      else {
        let idEnd = at + 4;
        while (message[idEnd] !== 0) idEnd++;
        const id = message.subarray(at + 4, idEnd).toString();
        const docs: Document[] = [];
        for (let p = idEnd + 1; p < at + size; p += message.readInt32LE(p))
          docs.push(BSON.deserialize(message.subarray(p, p + message.readInt32LE(p)), { promoteLongs: false }));
        body[id] = docs;
      }
      at += size;
    }
    const reply = run(body);
    if (flags & 2) return null;
    const payload = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from(BSON.serialize(reply))]);
    return frame(requestId, message.readInt32LE(4), OP_MSG, payload);
  }

  let replyIds = 1;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const size = pending.readInt32LE(0);
        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        let reply: Buffer | null;
        try {
          reply = answer(message, replyIds++);
        } catch {
          socket.destroy();
          return;
        }
        if (!reply) continue;
        const out = reply;
        if (delayMs) setTimeout(() => socket.writable && socket.write(out), delayMs);
        else socket.write(out);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    port,
    commands,
    dropConnections: () => sockets.forEach((s) => s.destroy()),
    failNext: (command, code, count = 1) => faults.push({ command, code, left: count }),
    delay: (ms) => (delayMs = ms),
    close: () => {
      sockets.forEach((s) => s.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * An HTTP handle on a wire server for tests that run inside workerd (which cannot call into this process):
 * POST /drop, POST /fail {command, code, count}, POST /delay {ms}, GET /commands, POST /commands/clear.
 */
export async function startWireControl(wire: WireServer): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer: createHttpServer } = await import("node:http");
  const server = createHttpServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const input = body ? JSON.parse(body) : {};
    if (req.url === "/drop") wire.dropConnections();
    else if (req.url === "/fail") wire.failNext(input.command, input.code, input.count);
    else if (req.url === "/delay") wire.delay(input.ms);
    else if (req.url === "/commands/clear") wire.commands.length = 0;
    else if (req.url === "/commands") {
      res.setHeader("content-type", "application/json");
      res.end(BSON.EJSON.stringify(wire.commands, { relaxed: true }));
      return;
    } else res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
