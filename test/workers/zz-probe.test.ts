import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { DynamicWorkerRunner } from "../../worker/scripts/dynamic-worker";

const host = { call: async (op: string, a: string) => JSON.stringify({ op, a }), fetch: async () => "{}" };
describe("probe", () => {
  it("runs", async () => {
    const r = new DynamicWorkerRunner(env.LOADER);
    const limits = { timeoutMs: 2000, memoryBytes: 32 << 20, stackBytes: 256 << 10 };
    for (const code of ["export default async (e, ctx) => { ctx.log('hi', e); return await ctx.api.find('c', {a:1}); }",
      "export default async () => {\n null.x }", "export default async () => { return await fetch('http://example.com') }",
      "export default async () => { return typeof process + typeof globalThis.env }", "export default async () => { return await import('node:fs') }"]) {
      const b = await r.run({ versionId: String(code.length), code, eventJson: '{"x":1}', limits, host });
      console.log(JSON.stringify(b).slice(0, 400));
    }
    console.log(JSON.stringify(await r.check("export default async () => {\n  let x = ;\n}")));
    console.log(JSON.stringify(await r.check("export const a = 1;")));
  });
});
