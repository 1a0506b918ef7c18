import { describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";

describe("smoke", () => {
  it("inserts and reads", async () => {
    const c = uniqueName();
    const ins = await call("POST", `/api/db/${c}`, { body: { name: "a", n: 1 } });
    expect(ins.status).toBe(201);
    const got = await call("GET", `/api/db/${c}?sort=-n&count=true`);
    expect(got.status).toBe(200);
    expect(got.json.documents[0].name).toBe("a");
  });
});
