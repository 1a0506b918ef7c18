import { Hono } from "hono";

const app = new Hono();
app.get("*", (c) => c.json({ ok: true }));
app.post("*", (c) => c.json({ ok: true }, 201));

export default app;
