import type { TestProject } from "vitest/node";
import { startFaultProxy } from "./fault-proxy";
import { startWranglerDev } from "../../scripts/stack.mjs";
import { startReceiver } from "./receiver";
import { startWireControl, startWireServer } from "./wire-server";

export const UPSTREAM_TOKEN = "upstream-admin-token";

/**
 * Starts a second, real Docflare (`wrangler dev`) as the Data API upstream, behind a fault-injecting proxy, and a
 * real webhook receiver on 127.0.0.1, and a MongoDB-wire-compatible server for the mongodb backend (or, when
 * MONGODB_URI is set, that real cluster instead, without the fault controls).
 */
export default async function setup(project: TestProject) {
  const upstream = await startWranglerDev({ vars: { ADMIN_TOKEN: UPSTREAM_TOKEN, LOG_LEVEL: "warn" } });
  const proxy = await startFaultProxy(upstream.url);
  project.provide("upstreamUrl", upstream.url);
  project.provide("proxyUrl", proxy.url);
  project.provide("upstreamToken", UPSTREAM_TOKEN);
  const receiver = await startReceiver();
  project.provide("receiverUrl", receiver.url);
  const wire = await startWireServer();
  const control = await startWireControl(wire);
  project.provide("mongodbUri", process.env.MONGODB_URI || wire.url);
  project.provide("mongodbControl", process.env.MONGODB_URI ? "" : control.url);
  return async () => {
    await control.close();
    await wire.close();
    await receiver.close();
    await proxy.close();
    upstream.stop();
  };
}
