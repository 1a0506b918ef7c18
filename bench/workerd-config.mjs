// Writes a workerd config with the three workers under test, each on its own loopback port.
export function workerdConfig({ dir, ports, adminToken, compatibilityDate }) {
  const worker = (name, file, extra = "") => `
const ${name}Worker :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "${file}") ],
  compatibilityDate = "${compatibilityDate}",
  ${extra}
);`;
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "constant", worker = .constantWorker),
    (name = "minimal", worker = .minimalWorker),
    (name = "docflare", worker = .docflareWorker),
    (name = "disk", disk = (path = "${dir}/storage", writable = true)),
  ],
  sockets = [
    (name = "constant", address = "127.0.0.1:${ports.constant}", http = (), service = "constant"),
    (name = "minimal", address = "127.0.0.1:${ports.minimal}", http = (), service = "minimal"),
    (name = "docflare", address = "127.0.0.1:${ports.docflare}", http = (), service = "docflare"),
  ],
);
${worker("constant", "constant/index.js")}
${worker("minimal", "minimal/index.js", `durableObjectNamespaces = [ (className = "MinimalDO", uniqueKey = "bench-minimal", enableSql = true) ],
  durableObjectStorage = (localDisk = "disk"),
  bindings = [ (name = "STORE", durableObjectNamespace = "MinimalDO") ],`)}
${worker("docflare", "docflare/index.js", `durableObjectNamespaces = [
    (className = "DatabaseDO", uniqueKey = "bench-database", enableSql = true),
    (className = "RegistryDO", uniqueKey = "bench-registry", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "disk"),
  bindings = [
    (name = "DATABASE", durableObjectNamespace = "DatabaseDO"),
    (name = "REGISTRY", durableObjectNamespace = "RegistryDO"),
    (name = "ADMIN_TOKEN", text = "${adminToken}"),
    (name = "STORE_BACKEND", text = "embedded"),
    (name = "LOG_LEVEL", text = "error"),
    (name = "DASHBOARD_ORIGIN", text = ""),
  ],`)}
`;
}
