import { isPlainObject, stringify, type Doc } from "./ejson";

export type OperationType = "insert" | "update" | "replace" | "delete";

export interface UpdateDescription {
  updatedFields: Doc;
  removedFields: string[];
}

/** One change to one document, shaped like a MongoDB change stream event. */
export interface ChangeEvent {
  id: string;
  operationType: OperationType;
  tenant: string;
  database: string;
  collection: string;
  documentKey: { _id: unknown };
  fullDocument?: Doc;
  updateDescription?: UpdateDescription;
  clusterTime: string;
  /** How many script-triggered writes led to this one (0 for writes by API clients). */
  chainDepth: number;
  /**
   * The document as it was, kept only so that webhook filters can be evaluated on deletes; never sent to receivers.
   */
  fullDocumentBeforeChange?: Doc;
  /** Set when the event was too large for a queue message and left without its documents. */
  truncated?: boolean;
}

/** Who wrote, for the events a write produces. */
export interface WriteOrigin {
  tenant: string;
  database: string;
  chainDepth?: number;
}

const same = (a: unknown, b: unknown) => stringify({ v: a }, true) === stringify({ v: b }, true);

/** MongoDB's updateDescription: changed paths (sub-documents are descended into) and removed paths. */
export function describeUpdate(before: Doc, after: Doc, prefix = ""): UpdateDescription {
  const updatedFields: Doc = {};
  const removedFields: string[] = [];
  for (const [key, value] of Object.entries(after)) {
    const path = prefix + key;
    if (!(key in before)) updatedFields[path] = value;
    else if (isPlainObject(value) && isPlainObject(before[key])) {
      const inner = describeUpdate(before[key] as Doc, value, `${path}.`);
      Object.assign(updatedFields, inner.updatedFields);
      removedFields.push(...inner.removedFields);
    } else if (!same(before[key], value)) updatedFields[path] = value;
  }
  for (const key of Object.keys(before)) if (!(key in after)) removedFields.push(prefix + key);
  return { updatedFields, removedFields };
}

export function newEventId(): string {
  return `evt_${crypto.randomUUID().replaceAll("-", "")}`;
}

export function buildEvent(
  origin: WriteOrigin,
  collection: string,
  op: OperationType,
  id: unknown,
  before: Doc | undefined,
  after: Doc | undefined,
  at = new Date(),
): ChangeEvent {
  return {
    id: newEventId(),
    operationType: op,
    tenant: origin.tenant,
    database: origin.database,
    collection,
    documentKey: { _id: id },
    ...(op !== "delete" && after ? { fullDocument: after } : {}),
    ...(op === "update" && before && after ? { updateDescription: describeUpdate(before, after) } : {}),
    clusterTime: at.toISOString(),
    chainDepth: origin.chainDepth ?? 0,
    ...(op === "delete" && before ? { fullDocumentBeforeChange: before } : {}),
  };
}

/** Removes a dotted path from a document, looking through arrays as MongoDB projections do. Returns a copy. */
function without(value: unknown, segments: string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => without(v, segments));
  if (!isPlainObject(value)) return value;
  const [head, ...rest] = segments;
  if (!(head in value)) return value;
  const out: Doc = { ...value };
  if (rest.length === 0) delete out[head];
  else out[head] = without(value[head], rest);
  return out;
}

/** `excludeFields` applied to fullDocument and updateDescription before an event leaves Docflare. */
export function excludeFields(event: ChangeEvent, paths: string[]): ChangeEvent {
  if (paths.length === 0) return event;
  const out: ChangeEvent = { ...event };
  if (out.fullDocument) {
    let doc: unknown = out.fullDocument;
    for (const p of paths) doc = without(doc, p.split("."));
    out.fullDocument = doc as Doc;
  }
  if (out.updateDescription) {
    // Positional paths ("lines.0.cost") are excluded by their array-free form ("lines.cost").
    const under = (field: string) => {
      const plain = field
        .split(".")
        .filter((seg) => !/^\d+$/.test(seg))
        .join(".");
      return paths.some((p) => plain === p || plain.startsWith(`${p}.`));
    };
    const updatedFields: Doc = {};
    for (const [field, value] of Object.entries(out.updateDescription.updatedFields)) {
      if (under(field)) continue;
      let kept: unknown = value;
      for (const p of paths) if (p.startsWith(`${field}.`)) kept = without(kept, p.slice(field.length + 1).split("."));
      updatedFields[field] = kept;
    }
    const removedFields = out.updateDescription.removedFields.filter((f) => !under(f));
    out.updateDescription = { updatedFields, removedFields };
  }
  return out;
}

/** What a receiver gets: the event without internal fields. */
export function publicEvent(event: ChangeEvent): Omit<ChangeEvent, "fullDocumentBeforeChange"> {
  const { fullDocumentBeforeChange: _, ...rest } = event;
  return rest;
}
