import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver } from "../setup/receiver";
import { startStack, type Stack } from "./stack";

/**
 * The dashboard in real Chromium against the real `npm start` stack and a real webhook receiver: one flow per
 * screen, each asserting what the user sees and what the API then holds.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const tenant = `ui-${Date.now().toString(36)}`;
let stack: Stack;
let browser: Browser;
let page: Page;
let receiver: { url: string; close: () => Promise<void> };
const consoleErrors: string[] = [];

async function api(method: string, path: string, body?: unknown, token = stack.admin) {
  const res = await fetch(`${stack.base}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      "X-Docflare-Tenant": tenant,
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** CodeMirror takes text as typed input would arrive (one insert), not key by key with bracket closing. */
async function setEditor(label: string, text: string) {
  const content = page.getByTestId(`editor-${label}`).locator(".cm-content");
  await content.click();
  await page.keyboard.press("Control+A");
  if (text) await page.keyboard.insertText(text);
  else await page.keyboard.press("Delete");
}

async function pick(trigger: string, option: string) {
  await page.getByRole("combobox", { name: trigger }).click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

async function signIn(token = stack.admin) {
  await page.goto(`${stack.base}/signin`);
  await page.getByRole("tab", { name: "API key or admin token" }).click();
  await page.getByRole("textbox", { name: "Tenant" }).last().fill(tenant);
  await page.getByRole("textbox", { name: "Token" }).fill(token);
  await page.getByRole("button", { name: "Connect" }).click();
}

/** Flows after sign-in start signed in as the tenant's admin, whatever the flow before them left behind. */
async function ensureSignedIn() {
  await page.goto(`${stack.base}/settings`);
  const session = await page.evaluate(() => sessionStorage.getItem("docflare.session"));
  if (!session || !session.includes(tenant) || !session.includes('"kind":"token"')) {
    await signIn();
    await page.waitForURL(`${stack.base}/`);
  }
}

async function axe(name: string) {
  const source = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  // Evaluated over the DevTools protocol: the dashboard's CSP (rightly) refuses inline script tags.
  await page.evaluate(source);
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ["violations"] })`)) as {
    violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  };
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    serious.map(
      (v) => `${name}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
    ),
  ).toEqual([]);
}

beforeAll(async () => {
  stack = await startStack(["--var", "ALLOW_LOOPBACK_WEBHOOKS:true", "--var", "WEBHOOK_RETRY_BASE_MS:500"]);
  receiver = await startReceiver();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, acceptDownloads: true });
  page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(e.message));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  stack?.stop();
});

describe("dashboard", () => {
  it("sign in: wrong credentials say so, a deep link survives sign-in, sign out ends the session", async () => {
    await page.goto(`${stack.base}/keys`);
    await page.waitForURL(/\/signin\?next=/);
    await page.getByRole("tab", { name: "API key or admin token" }).click();
    await page.getByRole("textbox", { name: "Token" }).fill("not-a-token");
    await page.getByRole("button", { name: "Connect" }).click();
    await expect.poll(() => page.getByRole("alert").innerText()).toContain("Wrong credentials");
    await page.getByRole("textbox", { name: "Tenant" }).last().fill(tenant);
    await page.getByRole("textbox", { name: "Token" }).fill(stack.admin);
    await page.getByRole("button", { name: "Connect" }).click();
    await page.waitForURL(`${stack.base}/keys`);
    await expect.poll(() => page.getByTestId("identity").innerText()).toContain(tenant);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/signin/);
    await page.goto(`${stack.base}/collections`);
    await page.waitForURL(/\/signin\?next=/);
  });

  it("an expired or revoked session sends the user to sign in, then back to where they were", async () => {
    await page.goto(`${stack.base}/signin`);
    await page.evaluate(
      (base) =>
        sessionStorage.setItem(
          "docflare.session",
          JSON.stringify({ apiUrl: base, tenant: "x", kind: "token", token: "dfk_revoked" }),
        ),
      stack.base,
    );
    await page.goto(`${stack.base}/webhooks`);
    await page.waitForURL(/\/signin\?next=%2Fwebhooks/);
    expect(await page.getByText("Your session ended").count()).toBe(1);
    await page.getByRole("tab", { name: "API key or admin token" }).click();
    await page.getByRole("textbox", { name: "Tenant" }).last().fill(tenant);
    await page.getByRole("textbox", { name: "Token" }).fill(stack.admin);
    await page.getByRole("button", { name: "Connect" }).click();
    await page.waitForURL(`${stack.base}/webhooks`);
  });

  it("signs in with email and password (refresh token in an HttpOnly cookie) and sees the identity", async () => {
    expect(
      (await api("POST", "/api/users", { email: "ana@example.com", password: "correct horse 1", role: "admin" }))
        .status,
    ).toBe(201);
    await page.goto(`${stack.base}/signin?next=%2Fsettings`);
    await page.getByRole("textbox", { name: "Tenant" }).first().fill(tenant);
    await page.getByRole("textbox", { name: "Email" }).fill("ana@example.com");
    await page.getByRole("textbox", { name: "Password", exact: true }).fill("wrong password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").innerText()).toMatch(/INVALID_CREDENTIALS|Wrong credentials/);
    await page.getByRole("textbox", { name: "Password", exact: true }).fill("correct horse 1");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${stack.base}/settings`);
    await expect.poll(() => page.getByTestId("settings-tenant").innerText()).toBe(tenant);
    const cookies = await page.context().cookies(stack.base + "/api/auth/refresh");
    expect(cookies.find((c) => c.name.includes("refresh"))).toMatchObject({ httpOnly: true, path: "/api/auth" });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/signin/);
    await signIn();
    await page.waitForURL(`${stack.base}/`);
  });

  it("collections: create one with a validator; the API holds it and refuses a bad document; index and schema", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/collections`);
    await page.getByRole("button", { name: "New collection" }).click();
    await page.getByRole("textbox", { name: "Name" }).fill("people");
    await setEditor(
      "validator",
      JSON.stringify({
        type: "object",
        required: ["name"],
        properties: { name: { type: "string" }, age: { type: "integer" } },
      }),
    );
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.waitForURL(/\/collections\/people/);
    const info = await api("GET", "/api/management/collections/people");
    expect(info.json.validator.required).toEqual(["name"]);
    expect((await api("POST", "/api/db/people", { age: 3 })).json.error.code).toBe("SCHEMA_VALIDATION_FAILED");
    await api("POST", "/api/db/people", [
      { name: "Ada", age: 36 },
      { name: "Bo", age: 41 },
    ]);
    await page.getByRole("tab", { name: "Indexes" }).click();
    await page.getByRole("textbox", { name: /Keys/ }).fill("age");
    await page.getByRole("button", { name: "Create index" }).click();
    await expect
      .poll(async () =>
        (await api("GET", "/api/management/collections/people/indexes")).json.indexes.map(
          (i: { name: string }) => i.name,
        ),
      )
      .toContain("age_1");
    await page.getByRole("tab", { name: "Schema" }).click();
    await expect
      .poll(() => page.getByRole("meter", { name: "age frequency" }).getAttribute("aria-valuenow"))
      .toBe("100");
    await page.getByRole("button", { name: "Use as validator" }).click();
    await page.getByRole("button", { name: "Save validator" }).click();
    await expect
      .poll(async () => (await api("GET", "/api/management/collections/people")).json.validator.properties.age)
      .toEqual({ type: "integer" });
  });

  it("collections: dropping one asks for its name typed out", async () => {
    await ensureSignedIn();
    await api("POST", "/api/db/scratch", { a: 1 });
    await page.goto(`${stack.base}/collections/scratch`);
    await page.getByRole("button", { name: "Drop collection" }).click();
    const confirm = page.getByRole("alertdialog").getByRole("button", { name: "Drop collection" });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByRole("textbox", { name: "confirmation" }).fill("scratc");
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByRole("textbox", { name: "confirmation" }).fill("scratch");
    await confirm.click();
    await page.waitForURL(`${stack.base}/collections`);
    expect((await api("GET", "/api/management/collections/scratch")).status).toBe(404);
  });

  it("documents: insert, query with explain, edit, hit a 412 conflict and resolve it", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/collections/people/documents`);
    await page.getByRole("button", { name: "Insert document" }).click();
    await setEditor("new document", '{"_id": "cy", "name": "Cy", "age": 29}');
    await page.getByRole("button", { name: "Insert", exact: true }).click();
    await expect.poll(async () => (await api("GET", "/api/db/people/cy")).json.name).toBe("Cy");
    await page.getByRole("button", { name: "Insert document" }).click();
    await setEditor("new document", '{"age": "old"}');
    await page.getByRole("button", { name: "Insert", exact: true }).click();
    await expect.poll(() => page.getByTestId("error-code").first().innerText()).toBe("SCHEMA_VALIDATION_FAILED");
    await page.keyboard.press("Escape");
    await setEditor("filter", '{"age": {"$gte": 30}}');
    await page.getByRole("button", { name: "Run query" }).click();
    await expect.poll(() => page.getByTestId("page-info").innerText()).toBe("2 shown of 2 matching");
    expect(page.url()).toContain("filter=");
    await expect.poll(() => page.getByTestId("explain").innerText()).toMatch(/used index age_1/i);
    await setEditor("filter", '{"_id": "cy"}');
    await page.getByRole("button", { name: "Run query" }).click();
    await page.getByTestId("documents-table").getByText("Cy", { exact: true }).click();
    await setEditor("document", '{"_id": "cy", "name": "Cy", "age": 30}');
    await api("PATCH", "/api/db/people/cy", { age: 99 });
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("heading", { name: "Someone changed this document" }).waitFor();
    await expect.poll(() => page.getByRole("dialog").innerText()).toContain("99");
    await page.getByRole("button", { name: "Overwrite with mine" }).click();
    await expect.poll(async () => (await api("GET", "/api/db/people/cy")).json.age).toBe(30);
  });

  it("documents: bulk delete by filter shows the count first", async () => {
    await ensureSignedIn();
    await api(
      "POST",
      "/api/db/temp",
      Array.from({ length: 30 }, (_, i) => ({ i, odd: i % 2 === 1 })),
    );
    await page.goto(`${stack.base}/collections/temp/documents?filter=${encodeURIComponent('{"odd":true}')}`);
    await page.getByRole("button", { name: "Delete matching…" }).click();
    await expect.poll(() => page.getByTestId("bulk-count").innerText()).toBe("15");
    await page.getByRole("button", { name: "Delete 15" }).click();
    await expect.poll(async () => (await api("GET", "/api/db/temp/count")).json.count).toBe(15);
  });

  it("aggregation: each stage previews its output; a refused operator is flagged on its stage", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/collections/people/aggregate`);
    await setEditor("stage 1", '{"age": {"$gte": 30}}');
    await page.getByRole("button", { name: "Add stage" }).click();
    await setEditor("stage 2", '{"name": 1, "_id": 0}');
    await expect.poll(() => page.getByLabel("stage 2 output").innerText()).toContain('"name": "Ada"');
    await setEditor("stage 1", '{"$where": "sleep(1000)"}');
    await expect.poll(() => page.getByTestId("stage-0-error").innerText()).toMatch(/OPERATOR/);
  });

  it("import: a 1,000-row CSV with three bad rows and two the validator refuses; preview, dry run, import and summary count them", async () => {
    await ensureSignedIn();
    await api("POST", "/api/management/collections", {
      name: "stock",
      validator: { type: "object", properties: { qty: { maximum: 998 } } },
    });
    const lines = ["sku,qty,price,added"];
    for (let i = 1; i <= 1000; i++)
      lines.push(
        `sku-${i},${[17, 500, 901].includes(i) ? "many" : i},${(i * 1.5).toFixed(2)},2026-01-${String((i % 28) + 1).padStart(2, "0")}`,
      );
    await page.goto(`${stack.base}/import?collection=stock`);
    await page
      .getByLabel("file to import")
      .setInputFiles({ name: "stock.csv", mimeType: "text/csv", buffer: Buffer.from(lines.join("\n")) });
    await expect.poll(() => page.getByTestId("bad-rows").innerText()).toBe("3 bad rows");
    await expect
      .poll(() => page.getByTestId("row-error").allInnerTexts())
      .toEqual([
        'Row 18: qty: "many" is not an integer',
        'Row 501: qty: "many" is not an integer',
        'Row 902: qty: "many" is not an integer',
      ]);
    await page.getByRole("button", { name: "Dry run" }).click();
    await expect.poll(() => page.getByTestId("dry-run").innerText()).toContain("995 documents would be inserted");
    expect(await page.getByTestId("dry-run").innerText()).toContain("the API would refuse 2");
    expect((await page.getByTestId("dry-run-error").allInnerTexts()).map((t) => t.slice(0, 36))).toEqual([
      "Row 1000: SCHEMA_VALIDATION_FAILED: ",
      "Row 1001: SCHEMA_VALIDATION_FAILED: ",
    ]);
    expect((await api("GET", "/api/db/stock/count")).json.count).toBe(0);
    await page.getByRole("button", { name: "Import 997 rows" }).click();
    await page.getByTestId("import-summary").waitFor();
    expect(await page.getByTestId("inserted").innerText()).toBe("995");
    expect(await page.getByTestId("skipped").innerText()).toBe("3");
    expect(await page.getByTestId("failed").innerText()).toBe("2");
    expect((await api("GET", "/api/db/stock/count")).json.count).toBe(995);
    const one = (await api("GET", `/api/db/stock?filter=${encodeURIComponent('{"sku":"sku-2"}')}`)).json.documents[0];
    expect(one).toMatchObject({ sku: "sku-2", qty: 2, price: 3, added: { $date: "2026-01-03T00:00:00Z" } });
  });

  it("export: the current query as CSV, re-read", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/collections/stock/documents?filter=${encodeURIComponent('{"qty":{"$lte":10}}')}`);
    await page.getByTestId("page-info").waitFor();
    const download = page.waitForEvent("download");
    await pick("export format", "Export CSV");
    const file = await download;
    const text = readFileSync((await file.path())!, "utf8")
      .trim()
      .split(/\r?\n/);
    expect(text[0].split(",").sort()).toEqual(["_id", "added", "price", "qty", "sku"]);
    expect(text.length).toBe(11);
    expect(text.some((l) => l.includes("sku-10,10,15,2026-01-11T00:00:00.000Z"))).toBe(true);
  });

  it("webhooks: create to a real receiver, see the delivery, make the receiver fail, replay", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/webhooks/new`);
    await page.getByRole("textbox", { name: "URL" }).fill(`${receiver.url}/ui-hook`);
    await page.getByRole("textbox", { name: "Collection (* for all)" }).fill("people");
    await setEditor("webhook filter", '{"age": {"$gte": 18}}');
    await expect.poll(() => page.getByTestId("filter-matches").innerText()).toContain("Would match 3");
    await page.getByRole("spinbutton", { name: "Max attempts (1-20)" }).fill("1");
    await page.getByRole("button", { name: "Create webhook" }).click();
    await expect.poll(() => page.getByTestId("secret").innerText()).toContain("whsec_");
    await api("POST", "/api/db/people", { name: "Dee", age: 50 });
    await expect
      .poll(() => page.locator('[data-testid="delivery"][data-status="delivered"]').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await fetch(`${receiver.url}/__behaviour`, {
      method: "POST",
      body: JSON.stringify({ path: "/ui-hook", steps: [500, 200] }),
    });
    await api("POST", "/api/db/people", { name: "Eve", age: 51 });
    await expect
      .poll(() => page.locator('[data-testid="delivery"][data-status="failed"]').count(), { timeout: 30_000 })
      .toBe(1);
    await page
      .locator('[data-testid="delivery"][data-status="failed"]')
      .getByRole("button", { name: "Replay" })
      .click();
    await expect
      .poll(() => page.locator('[data-testid="delivery"][data-status="delivered"]').count(), { timeout: 30_000 })
      .toBe(2);
    const got = (await (await fetch(`${receiver.url}/__received?path=/ui-hook`)).json()) as {
      answered: number;
      body: string;
    }[];
    expect(
      got
        .filter((r) => r.answered === 200)
        .map((r) => JSON.parse(r.body).fullDocument?.name ?? JSON.parse(r.body).data?.fullDocument?.name),
    ).toEqual(["Dee", "Eve"]);
  });

  it("scripts: a syntax error is marked on its line; fixed, test-run, and its execution listed", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/scripts/new`);
    await page.getByRole("textbox", { name: "Name" }).fill("greeter");
    await setEditor("script", "export default async function (event, ctx) {\n  let x = ;\n}\n");
    // The editor's own parser marks the line while typing, before anything is sent.
    await expect
      .poll(() => page.getByTestId("editor-script").locator(".cm-lintRange-error").count())
      .toBeGreaterThan(0);
    await page.getByRole("button", { name: "Create script" }).click();
    await expect.poll(() => page.getByTestId("editor-script").getAttribute("data-error-line")).toBe("2");
    expect(await page.getByTestId("script-error").innerText()).toContain("Line 2");
    await setEditor(
      "script",
      'export default async function (event, ctx) {\n  ctx.log("hello", event.operationType);\n  return 42;\n}\n',
    );
    await page.getByRole("button", { name: "Create script" }).click();
    await page.waitForURL(/\/scripts\/scr_/);
    await page.getByRole("button", { name: "Run now" }).click();
    await expect.poll(() => page.getByTestId("run-status").innerText()).toBe("succeeded");
    expect(await page.getByTestId("run-output").innerText()).toContain("[info] hello insert");
    await expect.poll(() => page.locator('[data-testid="execution"][data-status="succeeded"]').count()).toBe(1);
  });

  it("schedules: a 6-field cron shows its next runs in the chosen zone", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/schedules`);
    await page.getByRole("textbox", { name: "cron expression" }).fill("30 0 12 * * 1");
    await page.getByRole("textbox", { name: "cron time zone" }).fill("Asia/Tokyo");
    await expect.poll(() => page.getByTestId("cron-words").innerText()).toMatch(/12:00:30.*Monday/);
    const runs = await page.getByTestId("cron-next").allInnerTexts();
    expect(runs).toHaveLength(5);
    for (const r of runs) expect(r).toMatch(/^Mon, .* 12:00:30$/);
  });

  it("API keys: create (shown once), it works, revoke, it stops working", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/keys`);
    await page.getByRole("textbox", { name: "Name" }).fill("ui-key");
    await page.getByRole("textbox", { name: "Collections (empty: all)" }).fill("people");
    await page.getByRole("button", { name: "Create key" }).click();
    const shown = await eventually(async () => {
      const t = /(dfk_\S+)/.exec(await page.getByTestId("new-key").innerText());
      if (!t) throw new Error("no key yet");
      return t[1];
    });
    expect((await api("GET", "/api/auth/me", undefined, shown)).json).toMatchObject({
      tenant,
      role: "read",
      collections: ["people"],
    });
    await page.getByTestId("key-row").filter({ hasText: "ui-key" }).getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Revoke" }).click();
    await expect.poll(async () => (await api("GET", "/api/auth/me", undefined, shown)).status).toBe(401);
  });

  it("users, quotas and the audit trail", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/users`);
    await page.getByRole("textbox", { name: "Email" }).fill("bo@example.com");
    await page.getByRole("textbox", { name: "Password (8+ characters)" }).fill("long enough 1");
    await page.getByRole("button", { name: "Create user" }).click();
    await expect.poll(() => page.getByTestId("user-row").filter({ hasText: "bo@example.com" }).count()).toBe(1);
    await page
      .getByTestId("user-row")
      .filter({ hasText: "bo@example.com" })
      .getByRole("button", { name: "Disable" })
      .click();
    await expect
      .poll(
        async () =>
          (await api("GET", "/api/users")).json.users.find((u: { email: string }) => u.email === "bo@example.com")
            .disabled,
      )
      .toBe(true);
    await page.goto(`${stack.base}/quotas`);
    await setEditor("quotas", '{"perKey": {"requests": 1000, "writes": 100, "windowSeconds": 60}}');
    await page.getByRole("button", { name: "Save quotas" }).click();
    await expect
      .poll(async () => (await api("GET", "/api/quotas")).json.quotas?.perKey)
      .toEqual({ requests: 1000, writes: 100, windowSeconds: 60 });
    await page.goto(`${stack.base}/audit?action=${encodeURIComponent("PUT /api/quotas")}`);
    await expect.poll(() => page.getByTestId("audit-row").count()).toBeGreaterThan(0);
    expect(await page.getByTestId("audit-row").first().innerText()).toContain("PUT /api/quotas");
  });

  it("roles: a custom role with a row rule, built in the rule editor, given to a user who then sees only their rows", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/roles`);
    await page.getByRole("button", { name: "New role" }).click();
    await page.getByRole("textbox", { name: "Role name" }).fill("own-notes");
    await page.getByRole("textbox", { name: /Rule 1: collection/ }).fill("notes");
    await page.getByRole("checkbox", { name: "rule 1 insert" }).click();
    await page.getByRole("textbox", { name: "Hidden fields" }).fill("secret");
    await setEditor("rule 1 filter", '{"owner": "$$user.id"}');
    await page.getByRole("button", { name: "Save role" }).click();
    await expect
      .poll(() => page.getByTestId("role-row").filter({ hasText: "own-notes" }).innerText())
      .toContain("hides secret");
    const role = (await api("GET", "/api/roles/own-notes")).json;
    expect(role.rules[0]).toMatchObject({
      collection: "notes",
      actions: ["find", "insert"],
      hiddenFields: ["secret"],
      filter: { owner: "$$user.id" },
    });
    await page.goto(`${stack.base}/users`);
    await page.getByRole("textbox", { name: "Email" }).fill("cy@example.com");
    await page.getByRole("textbox", { name: "Password (8+ characters)" }).fill("long enough 1");
    await pick("user role", "own-notes");
    await page.getByRole("button", { name: "Create user" }).click();
    await expect
      .poll(() => page.getByTestId("user-row").filter({ hasText: "cy@example.com" }).innerText())
      .toContain("own-notes");
    const cy = (await api("GET", "/api/users")).json.users.find((u: { email: string }) => u.email === "cy@example.com");
    await api("POST", "/api/db/notes", [
      { owner: cy.id, text: "mine", secret: "s1" },
      { owner: "someone", text: "theirs" },
    ]);
    const login = await fetch(`${stack.base}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenant, email: "cy@example.com", password: "long enough 1" }),
    });
    const token = ((await login.json()) as { accessToken: string }).accessToken;
    const seen = await api("GET", "/api/db/notes", undefined, token);
    expect(seen.json.documents).toEqual([{ _id: expect.anything(), owner: cy.id, text: "mine" }]);
  });

  it("databases: create one, work in it, and drop it only with its name typed out", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/databases`);
    await page.getByRole("textbox", { name: "New database" }).fill("analytics");
    await page.getByRole("button", { name: "Create" }).click();
    const row = page.getByTestId("database-row").filter({ hasText: "analytics" });
    await row.waitFor();
    await fetch(`${stack.base}/api/db/events`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${stack.admin}`,
        "X-Docflare-Tenant": tenant,
        "X-Docflare-Database": "analytics",
        "Content-Type": "application/json",
      },
      body: JSON.stringify([{ kind: "click" }, { kind: "view" }]),
    });
    await row.getByRole("button", { name: "Use" }).click();
    await expect.poll(() => page.getByTestId("current-database").textContent()).toBe("analytics");
    await page.goto(`${stack.base}/collections`);
    await page.getByRole("link", { name: "events" }).waitFor();
    expect(await page.getByRole("link", { name: "people" }).count()).toBe(0);
    await page.goto(`${stack.base}/databases`);
    await expect.poll(() => row.textContent()).toContain("2");
    await row.getByRole("button", { name: "Drop" }).click();
    const confirm = page.getByRole("alertdialog").getByRole("button", { name: "Drop" });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByRole("textbox", { name: "confirmation" }).fill("analytics");
    await confirm.click();
    await expect.poll(() => page.getByTestId("database-row").filter({ hasText: "analytics" }).count()).toBe(0);
    await expect.poll(() => page.getByTestId("current-database").textContent()).toBe("main");
    expect((await api("GET", "/api/databases")).json.databases.map((d: { name: string }) => d.name)).toEqual(["main"]);
  });

  it("migrations: the migrations/ files picked, their status, a dry run, applied, then reverted", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/migrations`);
    await page
      .getByLabel("migration files")
      .setInputFiles(["migrations/0001_products.js", "migrations/0002_products_search.js", "README.md"]);
    await page.getByText("left out: README.md").waitFor();
    await page.getByRole("button", { name: "Status" }).click();
    const rows = page.getByTestId("migration-row");
    await expect
      .poll(async () => (await rows.allTextContents()).join(" | "))
      .toBe("0001_productspending | 0002_products_searchpending");
    await page.getByRole("button", { name: "Dry run" }).click();
    await expect
      .poll(() => page.getByTestId("migration-steps").textContent())
      .toContain("Would run 0001_products up()");
    expect((await api("GET", "/api/management/collections/products")).status).toBe(404);
    await page.getByRole("button", { name: "Apply pending" }).click();
    await expect
      .poll(async () => (await rows.allTextContents()).map((t) => t.replace(/applied.*/, "applied")).join(" | "))
      .toBe("0001_productsapplied | 0002_products_searchapplied");
    expect((await api("GET", "/api/management/collections/products")).status).toBe(200);
    await page.getByRole("button", { name: "Revert last" }).click();
    await expect
      .poll(() => page.getByTestId("migration-steps").textContent())
      .toContain("Ran 0002_products_search down()");
    await page.getByRole("button", { name: "Revert last" }).click();
    await expect
      .poll(async () => (await rows.allTextContents()).join(" | "))
      .toBe("0001_productspending | 0002_products_searchpending");
    expect((await api("GET", "/api/management/collections/products")).status).toBe(404);
  });

  it("settings: the theme is remembered across a reload", async () => {
    await ensureSignedIn();
    await page.goto(`${stack.base}/settings`);
    await page.getByRole("radio", { name: "Dark" }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await page.reload();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await page.getByRole("radio", { name: "Light" }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
  });

  it("every screen: no serious accessibility violations, no console errors; screenshots in both themes", async () => {
    await ensureSignedIn();
    if ((await api("GET", "/api/webhooks")).json.webhooks.length === 0)
      await api("POST", "/api/webhooks", { url: `${receiver.url}/a11y`, collection: "people" });
    if ((await api("GET", "/api/scripts")).json.scripts.length === 0)
      await api("POST", "/api/scripts", {
        name: "a11y",
        code: "export default async () => 1",
        trigger: { type: "event", collection: "people" },
      });
    if ((await api("GET", "/api/db/people/count")).json.count === 0)
      await api("POST", "/api/db/people", { name: "Ada", age: 36 });
    const webhooks = (await api("GET", "/api/webhooks")).json.webhooks;
    const scripts = (await api("GET", "/api/scripts")).json.scripts;
    const screens: [string, string][] = [
      ["overview", "/"],
      ["collections", "/collections"],
      ["collection", "/collections/people?tab=schema"],
      ["documents", "/collections/people/documents"],
      ["aggregate", "/collections/people/aggregate"],
      ["import", "/import"],
      ["webhooks", "/webhooks"],
      ["webhook", `/webhooks/${webhooks[0].id}`],
      ["scripts", "/scripts"],
      ["script", `/scripts/${scripts[0].id}`],
      ["schedules", "/schedules"],
      ["cluster", "/cluster"],
      ["keys", "/keys"],
      ["users", "/users"],
      ["roles", "/roles"],
      ["quotas", "/quotas"],
      ["audit", "/audit"],
      ["databases", "/databases"],
      ["migrations", "/migrations"],
      ["settings", "/settings"],
    ];
    const shots = new Set(["overview", "documents", "webhook", "script", "schedules", "collection"]);
    for (const theme of ["light", "dark"]) {
      await page.evaluate((t) => localStorage.setItem("docflare.theme", t), theme);
      for (const [name, path] of screens) {
        await page.goto(`${stack.base}${path}`);
        await page.locator("main h1").first().waitFor();
        await page.waitForLoadState("networkidle");
        await axe(`${name} (${theme})`);
        // The README's screenshots are refreshed on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
        if (shots.has(name) && process.env.UPDATE_SCREENSHOTS)
          await page.screenshot({ path: `docs/screenshots/${name}-${theme}.png` });
      }
    }
    await page.evaluate(() => localStorage.removeItem("docflare.theme"));
    expect(consoleErrors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  });
});
