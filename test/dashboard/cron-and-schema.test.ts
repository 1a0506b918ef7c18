import { describe, expect, it } from "vitest";
import { formatInZone, missedRuns, previewCron } from "../../dashboard/src/lib/cron-preview";
import {
  fieldPaths,
  tableColumns,
  validatorFromSchema,
  type InferredSchema,
} from "../../dashboard/src/lib/schema-tools";
import { checkDocumentText } from "../../dashboard/src/lib/document-text";

describe("cron preview", () => {
  const from = new Date("2026-11-29T10:00:00Z");

  it("gives a 6-field schedule's next runs in the chosen zone, in words", () => {
    const p = previewCron("30 0 12 * * 1", "Asia/Tokyo", 3, from);
    if (!p.ok) throw new Error(p.error);
    expect(p.next.map((d) => d.toISOString())).toEqual([
      "2026-11-30T03:00:30.000Z",
      "2026-12-07T03:00:30.000Z",
      "2026-12-14T03:00:30.000Z",
    ]);
    expect(p.next.map((d) => formatInZone(d, "Asia/Tokyo"))).toEqual([
      "Mon, 30 Nov 2026, 12:00:30",
      "Mon, 07 Dec 2026, 12:00:30",
      "Mon, 14 Dec 2026, 12:00:30",
    ]);
    expect(p.description).toMatch(/12:00:30.*Monday/);
  });

  it("follows daylight saving in the zone", () => {
    const p = previewCron("0 30 1 * * *", "Europe/Paris", 2, new Date("2026-03-28T12:00:00Z"));
    if (!p.ok) throw new Error(p.error);
    expect(p.next.map((d) => d.toISOString())).toEqual(["2026-03-29T00:30:00.000Z", "2026-03-29T23:30:00.000Z"]);
  });

  it("explains what is wrong with a schedule", () => {
    expect(previewCron("* *", "UTC")).toEqual({
      ok: false,
      error: "a schedule has 5 or 6 fields (seconds first); this has 2",
    });
    expect(previewCron("99 * * * *", "UTC").ok).toBe(false);
    expect(previewCron("* * * * *", "Not/AZone").ok).toBe(false);
    expect(previewCron("", "UTC")).toEqual({ ok: false, error: "enter a schedule" });
  });

  it("counts runs owed since the last recorded one", () => {
    expect(missedRuns("0 * * * *", "UTC", "2026-11-29T07:00:00Z", from)).toBe("2");
    expect(missedRuns("* * * * * *", "UTC", "2026-11-29T09:00:00Z", from)).toBe("100+");
    expect(missedRuns("0 * * * *", "UTC", null, from)).toBe("0");
  });
});

describe("inferred schema", () => {
  const schema: InferredSchema = {
    sampled: 4,
    fields: [
      { path: "_id", count: 4, frequency: 1, types: { objectId: 4 } },
      { path: "addr", count: 2, frequency: 0.5, types: { object: 2 } },
      { path: "addr.city", count: 2, frequency: 0.5, types: { string: 2 } },
      { path: "age", count: 4, frequency: 1, types: { int: 3, double: 1 } },
      { path: "name", count: 4, frequency: 1, types: { string: 4 } },
      { path: "tags", count: 1, frequency: 0.25, types: { array: 1 } },
      { path: "tags[]", count: 1, frequency: 0.25, types: { string: 1 } },
    ],
  };

  it("becomes a validator the sample satisfies: observed types, nesting, required where always present, _id left free", () => {
    expect(validatorFromSchema(schema)).toEqual({
      type: "object",
      required: ["age", "name"],
      properties: {
        addr: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        age: { anyOf: [{ type: "integer" }, { type: "number" }] },
        name: { type: "string" },
        tags: { type: "array" },
      },
    });
  });

  it("gives table columns (_id first, scalars before nested) and completion paths", () => {
    expect(tableColumns(schema)).toEqual(["_id", "addr", "age", "name", "tags", "addr.city"]);
    expect(fieldPaths(schema)).toContain("tags");
    expect(tableColumns(undefined)).toEqual(["_id"]);
  });

  it("checks a document before it is sent", () => {
    expect(checkDocumentText('{"a": 1}')).toEqual({ doc: { a: 1 } });
    expect(checkDocumentText("[1]").error).toBe("a document is a JSON object");
    expect(checkDocumentText('{"$set": {}}').error).toBe("field names may not start with $ ($set)");
    expect(checkDocumentText("{oops").error).toMatch(/^document is not valid JSON/);
  });
});
