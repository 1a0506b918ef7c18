// Writes a workerd config with the workers under test, each on its own loopback port: the two baselines, Docflare as
// configured by default, and Docflare with its read cache off (READ_CACHE_BYTES=0) so both figures come from one run.
// `wasmModules` are the .wasm files wrangler's bundle imports by name (the QuickJS sandbox), next to docflare/index.js.
export function workerdConfig({ dir, ports, adminToken, compatibilityDate, wasmModules = [], queueSink }) {
  const worker = (name, file, extra = "", more = "") => `
const ${name}Worker :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "${file}")${more} ],
  compatibilityDate = "${compatibilityDate}",
  ${extra}
);`;
  const docflare = (name, readCacheBytes) =>
    worker(
      name,
      "docflare/index.js",
      `durableObjectNamespaces = [
    (className = "DatabaseDO", uniqueKey = "bench-database-${name}", enableSql = true),
    (className = "RegistryDO", uniqueKey = "bench-registry-${name}", enableSql = true),
    (className = "AuditDO", uniqueKey = "bench-audit-${name}", enableSql = true),
    (className = "IdentityDO", uniqueKey = "bench-identity-${name}", enableSql = true),
    (className = "QuotaDO", uniqueKey = "bench-quota-${name}", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "disk"),
  bindings = [
    (name = "DATABASE", durableObjectNamespace = "DatabaseDO"),
    (name = "REGISTRY", durableObjectNamespace = "RegistryDO"),
    (name = "AUDIT", durableObjectNamespace = "AuditDO"),
    (name = "IDENTITY", durableObjectNamespace = "IdentityDO"),
    (name = "QUOTA", durableObjectNamespace = "QuotaDO"),
    (name = "AUDIT_RETENTION_DAYS", text = "90"),
    (name = "ADMIN_TOKEN", text = "${adminToken}"),
    (name = "STORE_BACKEND", text = "embedded"),
    (name = "LOG_LEVEL", text = "error"),
    (name = "DASHBOARD_ORIGIN", text = ""),
    (name = "READ_CACHE_BYTES", text = "${readCacheBytes}"),
    (name = "EVENTS", queue = "queue-sink"),
  ],`,
      wasmModules.map((m) => `, (name = "${m}", wasm = embed "docflare/${m}")`).join(""),
    );
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "constant", worker = .constantWorker),
    (name = "minimal", worker = .minimalWorker),
    (name = "docflare", worker = .docflareWorker),
    (name = "uncached", worker = .uncachedWorker),
    (name = "queue-sink", worker = .queueSinkWorker),
    (name = "disk", disk = (path = "${dir}/storage", writable = true)),
  ],
  sockets = [
${Object.entries(ports)
  .map(([name, port]) => `    (name = "${name}", address = "127.0.0.1:${port}", http = (), service = "${name}"),`)
  .join("\n")}
  ],
);
${worker("constant", "constant/index.js")}
${worker("queueSink", queueSink)}
${worker(
  "minimal",
  "minimal/index.js",
  `durableObjectNamespaces = [ (className = "MinimalDO", uniqueKey = "bench-minimal", enableSql = true) ],
  durableObjectStorage = (localDisk = "disk"),
  bindings = [ (name = "STORE", durableObjectNamespace = "MinimalDO") ],`,
)}
${docflare("docflare", 16 * 1024 * 1024)}
${docflare("uncached", 0)}
`;
}
