import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkOutboundUrl } from "../../worker/lib/ssrf";
import { waitForSlot } from "../../worker/lib/rate-window";
import { describeUpdate, excludeFields, type ChangeEvent } from "../../worker/lib/change-events";
import { AppError } from "../../worker/lib/errors";

const strict = { allowLoopback: false, ownHosts: ["api.docflare.example"] };
const refused = (url: string, policy = strict) => {
  try {
    checkOutboundUrl(url, policy);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
};

describe("outbound URL rules (SSRF)", () => {
  it.each([
    "http://example.com/hook",
    "ftp://example.com/",
    "https://127.0.0.1/",
    "https://127.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0177.0.0.1/",
    "https://0x7f.0.0.1/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[0:0:0:0:0:ffff:a00:1]/",
    "https://10.1.2.3/",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.168.1.1/",
    "https://169.254.169.254/",
    "https://100.64.0.1/",
    "https://0.0.0.0/",
    "https://224.0.0.1/",
    "https://255.255.255.255/",
    "https://[fc00::1]/",
    "https://[fd12::1]/",
    "https://[fe80::1]/",
    "https://[::]/",
    "https://[64:ff9b::10.0.0.1]/",
    "https://[2002:0a00:0001::]/",
    "https://localhost/",
    "https://app.localhost/",
    "https://db.internal/",
    "https://printer.local/",
    "https://intranet/",
    "https://api.docflare.example/x",
    "https://user:pw@example.com/",
    "not a url",
    // The IANA special-purpose registries, beyond private and loopback.
    "https://[::ffff:0:7f00:1]/",
    "https://[::ffff:0:808:808]/",
    "https://[2001::1]/",
    "https://[2001:0:4136:e378::1]/",
    "https://[fec0::1]/",
    "https://192.88.99.1/",
    "https://[100::1]/",
    "https://[::7f00:1]/",
    "https://[::808:808]/",
    "https://[2001:db8::1]/",
    "https://[3fff::1]/",
    "https://[5f00::1]/",
    "https://[64:ff9b:1::1]/",
    "https://[2001:20::1]/",
    "https://[2001:2::1]/",
    "https://[ff02::1]/",
    "https://192.0.0.8/",
    "https://192.0.2.1/",
    "https://198.18.0.1/",
    "https://198.51.100.1/",
    "https://203.0.113.1/",
    "https://240.0.0.1/",
    "https://0.1.2.3/",
    "https://[::ffff:8.8.8.8]/",
    "https://[64:ff9b::8.8.8.8]/",
    "https://[2002:808:808::1]/",
  ])("refuses %s", (url) => {
    expect(refused(url)).toBe("WEBHOOK_URL_REFUSED");
  });

  it.each([
    "https://example.com/hook",
    "https://hooks.example.org:8443/a?b=c",
    "https://93.184.216.34/",
    "https://[2606:4700::1111]/",
    "https://172.32.0.1/",
    "https://8.8.8.8/",
    "https://[2001:4860:4860::8888]/",
    "https://1.1.1.1/",
  ])("accepts %s", (url) => expect(refused(url)).toBeNull());

  it("the development setting allows loopback (http too) and nothing else private", () => {
    const dev = { allowLoopback: true, ownHosts: [] };
    expect(refused("http://127.0.0.1:8080/h", dev)).toBeNull();
    expect(refused("http://localhost:3000/h", dev)).toBeNull();
    expect(refused("https://10.0.0.1/", dev)).toBe("WEBHOOK_URL_REFUSED");
    expect(refused("http://example.com/", dev)).toBe("WEBHOOK_URL_REFUSED");
  });
});

describe("rate window arithmetic", () => {
  it("never lets more than `limit` requests land in any window at the receiver", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 30 })), {
          minLength: 1,
          maxLength: 60,
        }),
        (limit, plan) => {
          const W = 100;
          const maxInFlight = 40;
          const spans: Array<{ at: number; doneAt: number | null }> = [];
          const arrivals: number[] = [];
          let now = 0;
          for (const [gap, latency] of plan) {
            now += gap;
            for (const s of spans)
              if (s.doneAt === null && s.at + (s as { latency?: number }).latency! <= now)
                s.doneAt = s.at + (s as { latency?: number }).latency!;
            const wait = waitForSlot(spans, now, limit, W, maxInFlight);
            if (wait > 0) continue;
            const lat = Math.min(latency, maxInFlight);
            spans.push(Object.assign({ at: now, doneAt: null }, { latency: lat }));
            arrivals.push(now + Math.floor(lat / 2));
          }
          arrivals.sort((a, b) => a - b);
          for (let i = 0; i < arrivals.length; i++)
            expect(arrivals.filter((t) => t >= arrivals[i] && t < arrivals[i] + W).length).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });

  it("says how long until the oldest counted send leaves the window", () => {
    expect(
      waitForSlot(
        [
          { at: 0, doneAt: 10 },
          { at: 5, doneAt: 20 },
        ],
        30,
        2,
        100,
        50,
      ),
    ).toBe(80);
    expect(waitForSlot([{ at: 0, doneAt: 10 }], 30, 2, 100, 50)).toBe(0);
    expect(waitForSlot([{ at: 0, doneAt: null }], 30, 1, 100, 50)).toBe(120);
  });
});

describe("change event helpers", () => {
  it("describes updates as MongoDB does: dotted paths into sub-documents, arrays whole, removed fields", () => {
    expect(
      describeUpdate(
        { _id: 1, a: { b: 1, c: 2 }, tags: [1], gone: true },
        { _id: 1, a: { b: 5, c: 2, d: 1 }, tags: [1, 2] },
      ),
    ).toEqual({
      updatedFields: { "a.b": 5, "a.d": 1, tags: [1, 2] },
      removedFields: ["gone"],
    });
  });

  it("excludes dotted paths from documents (through arrays) and from updateDescription", () => {
    const event = {
      fullDocument: { _id: 1, user: { email: "x", name: "n" }, lines: [{ sku: 1, cost: 2 }] },
      updateDescription: {
        updatedFields: { "user.email": "y", user: { email: "y", name: "m" }, "lines.0.cost": 3, name: "z" },
        removedFields: ["user.email", "other"],
      },
    } as unknown as ChangeEvent;
    const out = excludeFields(event, ["user.email", "lines.cost"]);
    expect(out.fullDocument).toEqual({ _id: 1, user: { name: "n" }, lines: [{ sku: 1 }] });
    expect(out.updateDescription).toEqual({
      updatedFields: { user: { name: "m" }, name: "z" },
      removedFields: ["other"],
    });
  });
});
