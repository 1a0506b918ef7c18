import { describe, expect, it } from "vitest";
import * as full from "zod";
// @ts-expect-error: a plain ES module without types; wrangler.jsonc aliases "zod" to it when bundling the Worker.
import * as lean from "../../worker/lib/zod-lean.js";

describe("worker/lib/zod-lean.js", () => {
  it("exports what zod exports, less its locales (so a zod upgrade that adds or renames an export fails here)", () => {
    const without = (ns: object) =>
      Object.keys(ns)
        .filter((k) => k !== "locales")
        .sort();
    expect(Object.keys(lean).sort()).toEqual(without(full));
    expect(Object.keys(lean.core).sort()).toEqual(without(full.core));
    expect(lean.z.object({ a: lean.z.string() }).safeParse({ a: 1 }).error.issues[0].message).toBe(
      "Invalid input: expected string, received number",
    );
  });
});
