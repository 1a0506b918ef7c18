import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { call, uniqueName } from "../helpers/api";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tenant = () => uniqueName("t").replaceAll("_", "-");

describe("lease locks with fencing tokens", () => {
  it("many concurrent acquirers with random delays: tokens strictly increase, holders never overlap, stale tokens are refused", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            start: fc.integer({ min: 0, max: 60 }),
            hold: fc.integer({ min: 0, max: 60 }),
            ttl: fc.integer({ min: 150, max: 400 }),
            release: fc.boolean(),
          }),
          { minLength: 3, maxLength: 10 },
        ),
        async (actors) => {
          const t = tenant();
          const lock = `/api/locks/${uniqueName("lock")}`;
          const grants: Array<{ token: number; from: number; to: number }> = [];
          const staleRefusals: number[] = [];
          await Promise.all(
            actors.map(async (a, i) => {
              await sleep(a.start);
              const res = await call("POST", `${lock}/acquire`, {
                tenant: t,
                body: { holder: `h${i}`, ttlMs: a.ttl, waitMs: 2_000 },
              });
              if (res.status === 409) return;
              expect(res.status, res.text).toBe(200);
              const { token, expiresAt, at: from } = res.json;
              await sleep(a.hold);
              let to = Date.parse(expiresAt);
              if (a.release) {
                const rel = await call("POST", `${lock}/release`, { tenant: t, body: { token } });
                if (rel.status === 200) to = Math.min(to, rel.json.at);
                else staleRefusals.push(rel.status);
              }
              const grant = { token, from, to };
              grants.push(grant);
              const again = await call("POST", `${lock}/renew`, { tenant: t, body: { token, ttlMs: 200 } });
              if (a.release) expect(again.status).toBe(409);
              // A renewal moves the end of the lease (earlier or later than first granted).
              else if (again.status === 200) grant.to = Date.parse(again.json.expiresAt);
              else expect(again.json.error.code).toBe("STALE_LOCK_TOKEN");
            }),
          );
          const byToken = [...grants].sort((x, y) => x.token - y.token);
          for (let i = 1; i < byToken.length; i++) {
            expect(byToken[i].token).toBeGreaterThan(byToken[i - 1].token);
            // On the lock's own clock, a later grant comes only once the earlier lease has ended (released or expired).
            expect(byToken[i].from).toBeGreaterThanOrEqual(byToken[i - 1].to);
          }
          expect(staleRefusals.every((s) => s === 409)).toBe(true);
          const status = await call("GET", lock, { tenant: t });
          expect(status.json.lastToken).toBe(byToken.at(-1)?.token ?? 0);
        },
      ),
      { numRuns: 8, endOnFailure: true },
    );
  }, 120_000);

  it("an expired lease can be taken over; the old holder's renew and release are then refused", async () => {
    const t = tenant();
    const lock = `/api/locks/${uniqueName("lock")}`;
    const first = await call("POST", `${lock}/acquire`, { tenant: t, body: { holder: "a", ttlMs: 150 } });
    expect(first.json).toMatchObject({ acquired: true, holder: "a", token: 1 });
    const blocked = await call("POST", `${lock}/acquire`, { tenant: t, body: { holder: "b", ttlMs: 1000 } });
    expect(blocked.status).toBe(409);
    expect(blocked.json.error).toMatchObject({ code: "LOCK_HELD", details: { holder: "a", token: 1 } });
    const waited = await call("POST", `${lock}/acquire`, {
      tenant: t,
      body: { holder: "b", ttlMs: 1000, waitMs: 1000 },
    });
    expect(waited.json).toMatchObject({ acquired: true, holder: "b", token: 2 });
    for (const op of ["renew", "release"]) {
      const stale = await call("POST", `${lock}/${op}`, { tenant: t, body: { token: 1 } });
      expect(stale.status).toBe(409);
      expect(stale.json.error.code).toBe("STALE_LOCK_TOKEN");
    }
    expect((await call("POST", `${lock}/renew`, { tenant: t, body: { token: 2, ttlMs: 5000 } })).json).toMatchObject({
      held: true,
      token: 2,
    });
    expect((await call("POST", `${lock}/release`, { tenant: t, body: { token: 2 } })).json).toMatchObject({
      held: false,
      lastToken: 2,
    });
    expect((await call("POST", `${lock}/acquire`, { tenant: t, body: { holder: "c" } })).json.token).toBe(3);
    expect((await call("POST", `${lock}/acquire`, { tenant: t, body: { holder: "c", ttlMs: 5 } })).status).toBe(400);
    expect((await call("GET", `${lock}`, { tenant: tenant() })).json).toMatchObject({ held: false, lastToken: 0 });
  });
});
