import { API_OPERATIONS } from "./runner";

/**
 * Global code run in every QuickJS context before the user's module. It builds the frozen `ctx` from the three host
 * functions and removes them from the global object, so the script can reach the host only through `ctx`.
 */
export const PRELUDE = String.raw`
(() => {
  const call = globalThis.__call, fetchHost = globalThis.__fetch, log = globalThis.__log;
  delete globalThis.__call; delete globalThis.__fetch; delete globalThis.__log;
  const text = (v) => typeof v === "string" ? v : (() => { try { return JSON.stringify(v); } catch { return String(v); } })();
  const line = (level) => (...parts) => log(level, parts.map(text).join(" "));
  const op = (name) => async (...args) => JSON.parse(await call(name, JSON.stringify(args, (k, v) => v === undefined ? null : v)));
  const api = Object.freeze(Object.fromEntries(${JSON.stringify(API_OPERATIONS)}.map((n) => [n, op(n)])));
  const logger = Object.freeze(Object.assign(line("info"), { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") }));
  const fetch = async (url, init = {}) => {
    const r = JSON.parse(await fetchHost(String(url), JSON.stringify({ method: init.method, headers: init.headers, body: init.body })));
    return Object.freeze({ ok: r.status >= 200 && r.status < 300, status: r.status, headers: r.headers,
      text: async () => r.body, json: async () => JSON.parse(r.body) });
  };
  const ctx = Object.freeze({ api, log: logger, fetch });
  globalThis.console = Object.freeze({ log: line("info"), info: line("info"), debug: line("debug"), warn: line("warn"), error: line("error") });
  Object.defineProperty(globalThis, "__run", {
    value: async (main, eventText) => {
      const result = await main(JSON.parse(eventText), ctx);
      return JSON.stringify(result === undefined ? null : result);
    },
  });
})();
`;
